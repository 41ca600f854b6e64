import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveStreams } from '../../gateway/ui/live-streams.js';
import { startRtspServer } from './rtsp-source.js';

const until = async (check: () => boolean, what: string, timeoutMs = 20_000) => {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

const alive = (pid: number | undefined) => {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('live view: ffmpeg from a real RTSP server (GStreamer) to MPEG-TS / MPEG-1 for JSMpeg', () => {
  let rtsp: Awaited<ReturnType<typeof startRtspServer>>;
  const logLines: string[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => void logLines.push(l) });

  beforeAll(async () => {
    rtsp = await startRtspServer('cam', 'pa55word');
  });
  afterAll(async () => rtsp?.stop());

  it('starts on the first viewer, shares one ffmpeg, restarts it with backoff, stops on the last viewer', async () => {
    const url = rtsp.url.replace('rtsp://', 'rtsp://cam:pa55word@');
    const streams = new LiveStreams({ resolve: async () => url, log, backoff: { minMs: 200, maxMs: 2000, stableMs: 60_000 } });
    const a: Buffer[] = [];
    const b: Buffer[] = [];
    const leaveA = streams.join('cam-1', 1, (c) => a.push(c));
    await until(() => Buffer.concat(a).length > 64 * 1024, 'video from ffmpeg');
    const leaveB = streams.join('cam-1', 1, (c) => b.push(c));
    expect(streams.stats()).toMatchObject([{ key: 'cam-1/1', viewers: 2, running: true, restarts: 0 }]);
    await until(() => Buffer.concat(b).length > 16 * 1024, 'video for the second viewer');

    // What the browser gets is MPEG-TS (188-byte packets) carrying MPEG-1 video.
    const dir = mkdtempSync(join(tmpdir(), 'gridgate-live-'));
    try {
      const ts = Buffer.concat(a);
      expect(ts[0]).toBe(0x47);
      expect(ts[188]).toBe(0x47);
      writeFileSync(join(dir, 'a.ts'), ts);
      const probe = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width', '-of', 'csv=p=0', join(dir, 'a.ts')]).toString();
      expect(probe.trim().split(/\s+/)[0]).toBe('mpeg1video,640');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // ffmpeg dies: it is started again (after the backoff) while someone watches.
    const first = streams.stats()[0]!.pid!;
    process.kill(first, 'SIGKILL');
    await until(() => streams.stats()[0]?.restarts === 1 && streams.stats()[0]?.running === true && streams.stats()[0]?.pid !== first, 'restart');
    const before = Buffer.concat(a).length;
    await until(() => Buffer.concat(a).length > before + 16 * 1024, 'video after the restart');

    const second = streams.stats()[0]!.pid!;
    leaveA();
    expect(streams.stats()[0]?.running).toBe(true);
    leaveB();
    expect(streams.stats()).toEqual([]);
    await until(() => !alive(second), 'ffmpeg to stop after the last viewer');
    // The password never reaches the log.
    expect(logLines.join('\n')).not.toContain('pa55word');
    expect(logLines.join('\n')).toContain('live view started');
  });

  it('a refused stream (wrong password) is retried with growing delays and says why', async () => {
    const url = rtsp.url.replace('rtsp://', 'rtsp://cam:wrong@');
    const streams = new LiveStreams({ resolve: async () => url, log, backoff: { minMs: 100, maxMs: 400, stableMs: 60_000 } });
    const leave = streams.join('cam-2', 1, () => {});
    await until(() => (streams.stats()[0]?.restarts ?? 0) >= 3, 'three retries');
    expect(streams.stats()[0]!.lastError).toMatch(/401|Unauthorized/);
    expect(streams.stats()[0]!.lastError).not.toContain('wrong@');
    leave();
    expect(streams.stats()).toEqual([]);
  });
});
