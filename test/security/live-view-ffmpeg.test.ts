import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readSecret } from '../../gateway/config/secrets.js';
import { Gateway } from '../../gateway/daemon.js';
import { ffconcatScript, ffmpegArgs, LiveStreams } from '../../gateway/ui/live-streams.js';
import { checkStreamUrl } from '../../gateway/ui/live-url.js';
import { SecretStore } from '../../gateway/ui/secret-store.js';
import { defaultStreamUrl } from '../../gateway/ui/ui-extension.js';
import { tempDir } from '../helpers/gateway-harness.js';
import { startRtspServer } from '../ui/rtsp-source.js';

const HOSTILE = [
  'concat:/etc/passwd|/etc/hostname',
  'file:///etc/passwd',
  '/etc/passwd',
  'http://127.0.0.1:9/x',
  'subfile,,start,0,end,100,,:/etc/passwd',
  "rtsp://127.0.0.1/x'\nfile '/etc/passwd",
  'rtsp:///etc/passwd',
  `rtsp://127.0.0.1/${'a'.repeat(3000)}`,
];

// Finding 3: the camera (or anything answering ONVIF at its address) returned
// `concat:/etc/passwd|/etc/hostname`; gridgate ran ffmpeg on it and showed ffmpeg's error (which
// files exist) to any viewer; the camera password was on ffmpeg's command line (`ps`).
describe('attack: a hostile stream address reads local files through live view', () => {
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });

  it.each(HOSTILE.map((a, i) => [i, a]))(
    'hostile address %i is refused before any ffmpeg runs, and the viewer sees no file-system detail',
    async (_i, address) => {
      expect(() => checkStreamUrl(address)).toThrow(/rtsp|not opened|control characters|longer/);
      const streams = new LiveStreams({ resolve: async () => address, log, backoff: { minMs: 50, maxMs: 100, stableMs: 60_000 } });
      const leave = streams.join('cam-x', 1, () => {}, 'vera');
      await vi.waitFor(() => expect(streams.stats()[0]?.restarts).toBeGreaterThanOrEqual(1));
      const s = streams.stats()[0]!;
      expect(s.pid).toBeUndefined();
      expect(s.lastError).not.toMatch(/\/etc|passwd|hostname|No such file/);
      leave();
      expect(lines.join('\n')).not.toContain('live view started');
    },
  );

  it('even if an address got past the check, ffmpeg itself opens no file or concat (protocol whitelist)', () => {
    for (const inner of ['/etc/passwd', 'file:/etc/passwd', 'concat:/etc/passwd|/etc/hostname', 'http://127.0.0.1:9/']) {
      const r = spawnSync('ffmpeg', [...ffmpegArgs(320).slice(0, -1), '-t', '1', '-y', '/dev/null'], {
        input: ffconcatScript(inner),
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/not on whitelist|Impossible to open/);
    }
  });

  it('a device-supplied address is data: only rtsp(s), only on the device own host, credentials added by us', async () => {
    const tmp = tempDir('gridgate-sec-url-');
    try {
      const secrets = new SecretStore({ file: join(tmp.dir, 'secrets.json'), keyFile: join(tmp.dir, 'secret.key') });
      secrets.open();
      secrets.set('DEV_CAM_1_PASSWORD', 'cam pa55');
      const gateway = (stream: string) =>
        ({
          deviceStates: () => [{ device: 'cam-1', meta: { channels: [{ channel: 1, stream }] } }],
          readSecret: (ref: Parameters<typeof readSecret>[0], extra: Record<string, string>) => readSecret(ref, tmp.dir, extra),
          config: {
            devices: [
              { id: 'cam-1', url: 'http://10.20.0.31/onvif/device_service', username: 'admin', password: { env: 'GRIDGATE_SECRET_DEV_CAM_1_PASSWORD' } },
            ],
          },
        }) as unknown as Gateway;
      const url = defaultStreamUrl(secrets);
      await expect(url(gateway('concat:/etc/passwd|/etc/hostname'), 'cam-1', 1)).rejects.toMatchObject({ code: 'E_LIVE_URL' });
      // Elsewhere: the password would be sent to whoever listens there.
      await expect(url(gateway('rtsp://10.66.0.1:554/steal'), 'cam-1', 1)).rejects.toThrow(/another host/);
      expect(await url(gateway('rtsp://***:***@10.20.0.31:554/Streaming/101'), 'cam-1', 1)).toBe('rtsp://admin:cam%20pa55@10.20.0.31:554/Streaming/101');
    } finally {
      tmp.cleanup();
    }
  });
});

describe('attack: read the camera password from ps while live view runs (GStreamer RTSP server)', () => {
  let rtsp: Awaited<ReturnType<typeof startRtspServer>>;
  const PASSWORD = 'S3cret-pa55';
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
  beforeAll(async () => {
    rtsp = await startRtspServer('cam', PASSWORD);
  });
  afterAll(async () => rtsp?.stop());

  it('the password is on no command line and in no environment; video still flows', async () => {
    const streams = new LiveStreams({ resolve: async () => rtsp.url.replace('rtsp://', `rtsp://cam:${PASSWORD}@`), log });
    const chunks: Buffer[] = [];
    const leave = streams.join('cam-1', 1, (c) => chunks.push(c), 'vera');
    try {
      await vi.waitFor(() => expect(Buffer.concat(chunks).length).toBeGreaterThan(32 * 1024), { timeout: 30_000, interval: 100 });
      const pid = streams.stats()[0]!.pid!;
      // What every local user sees.
      // (The camera stand-in takes its own password in argv: that line is the camera's, not ours.)
      const ps = execFileSync('ps', ['-eo', 'pid,args', '--width', '10000'], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => !l.includes('rtsp-test-server.py'))
        .join('\n');
      expect(ps).toContain(`${pid} ffmpeg`);
      expect(ps).not.toContain(PASSWORD);
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      expect(cmdline).toContain('-protocol_whitelist');
      expect(cmdline[cmdline.indexOf('-protocol_whitelist') + 1]).toBe('pipe,tcp,tls');
      expect(cmdline.join(' ')).not.toMatch(/rtsp:|cam:/);
      expect(readFileSync(`/proc/${pid}/environ`, 'utf8')).not.toContain(PASSWORD);
      expect(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean)).toEqual([expect.stringMatching(/^PATH=/)]);
    } finally {
      leave();
    }
    expect(lines.join('\n')).not.toContain(PASSWORD);
  });

  // Issue 17: the stream address's password used to be resolved from this process's working folder
  // and environment, not as the daemon resolves secrets (its configuration folder, its environment,
  // the sealed store). Three cameras, each with its password kept another way; each plays.
  it("a camera's stored, file or daemon-environment password is resolved as the daemon does, and it plays", async () => {
    const tmp = tempDir('gridgate-sec-cam-pass-');
    try {
      const secrets = new SecretStore({ file: join(tmp.dir, 'data', 'secrets.json'), keyFile: join(tmp.dir, 'etc', 'secret.key') });
      secrets.open();
      secrets.set('DEV_CAM_1_PASSWORD', PASSWORD);
      // Relative to the configuration's folder (tmp.dir), which is not this process's working folder.
      mkdirSync(join(tmp.dir, 'secrets'));
      writeFileSync(join(tmp.dir, 'secrets', 'cam-2.pass'), `${PASSWORD}\n`, { mode: 0o600 });
      expect(process.cwd()).not.toBe(tmp.dir);
      expect(process.env.GRIDGATE_CAM_3_PASSWORD).toBeUndefined();
      const device = (id: string, password: unknown) => ({
        id,
        kind: 'camera',
        url: `http://127.0.0.1:${rtsp.port}/onvif/device_service`,
        username: 'cam',
        password,
      });
      const gateway = new Gateway({
        config: {
          devices: [
            device('cam-1', { env: 'GRIDGATE_SECRET_DEV_CAM_1_PASSWORD' }),
            device('cam-2', { file: 'secrets/cam-2.pass' }),
            device('cam-3', { env: 'GRIDGATE_CAM_3_PASSWORD' }),
          ],
        } as never,
        baseDir: tmp.dir,
        env: { GRIDGATE_CAM_3_PASSWORD: PASSWORD },
        log,
      });
      vi.spyOn(gateway, 'deviceStates').mockReturnValue(
        ['cam-1', 'cam-2', 'cam-3'].map((d) => ({ device: d, meta: { channels: [{ channel: 1, stream: rtsp.url }] } })) as never,
      );
      // The stored password is encrypted at rest: not in the secrets file in clear.
      expect(readFileSync(join(tmp.dir, 'data', 'secrets.json'), 'utf8')).not.toContain(PASSWORD);
      const resolve = defaultStreamUrl(secrets);
      for (const cam of ['cam-1', 'cam-2', 'cam-3']) {
        const streams = new LiveStreams({ resolve: (d, c) => resolve(gateway, d, c), log });
        const chunks: Buffer[] = [];
        const leave = streams.join(cam, 1, (c) => chunks.push(c), 'vera');
        try {
          await vi.waitFor(() => expect(Buffer.concat(chunks).length, `${cam}: ${streams.stats()[0]?.lastError}`).toBeGreaterThan(16 * 1024), {
            timeout: 30_000,
            interval: 100,
          });
        } finally {
          leave();
        }
      }
      expect(lines.join('\n')).not.toContain(PASSWORD);
    } finally {
      tmp.cleanup();
    }
  });

  it('a refused password or a missing stream: the viewer gets the cause, not ffmpeg text', async () => {
    for (const [address, expected] of [
      [rtsp.url.replace('rtsp://', 'rtsp://cam:wrong@'), 'the camera refused the user name or password (401)'],
      [rtsp.url.replace('rtsp://', `rtsp://cam:${PASSWORD}@`).replace('/live', '/nope'), 'the camera has no such stream (404)'],
      ['rtsp://127.0.0.1:9/live', 'the camera refused the connection'],
    ] as const) {
      const streams = new LiveStreams({ resolve: async () => address, log, backoff: { minMs: 100, maxMs: 200, stableMs: 60_000 } });
      const leave = streams.join('cam-2', 1, () => {}, 'vera');
      await vi.waitFor(() => expect(streams.stats()[0]?.lastError).toBe(expected), { timeout: 20_000, interval: 50 });
      leave();
    }
    // The log keeps ffmpeg's own words for the technician, credentials redacted.
    expect(lines.join('\n')).toMatch(/401 Unauthorized/);
    expect(lines.join('\n')).not.toContain('cam:wrong@');
  });
});
