import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { gatewayConfigSchema } from '../../gateway/config/schema/gateway-config.js';
import { DEFAULT_LIVE_LIMITS } from '../../gateway/ui/live-streams.js';
import { startUi, type UiHarness } from '../ui/ui-harness.js';
import { startRtspServer } from '../ui/rtsp-source.js';
import { Browser, makeAdmin, send, type Socket } from './attack-client.js';

const CAMERA = { id: 'cam-1', kind: 'camera', driver: 'synthetic', intervalMs: 1000, points: [{ name: 'online', wave: 'constant', min: 1 }] };

// Finding 4: one viewer opening 40 sockets started 40 ffmpeg processes in 1.5 s.
describe('attack: exhaust the CPU through live view (real ffmpeg, GStreamer RTSP server)', () => {
  let rtsp: Awaited<ReturnType<typeof startRtspServer>>;
  let h: UiHarness;
  let admin: Browser;
  const sockets: Socket[] = [];
  let liveRefusals = 0;
  beforeAll(async () => {
    rtsp = await startRtspServer('cam', 'pa55word');
    h = await startUi({
      devices: [CAMERA],
      overrides: { http: { host: '127.0.0.1', port: 0, liveView: { maxTranscodes: 2, maxViewersPerUser: 3, maxViewers: 5 } } },
      ui: { streamUrl: async () => rtsp.url.replace('rtsp://', 'rtsp://cam:pa55word@') },
    });
    admin = await makeAdmin(h.url, h.setupCode());
    for (const name of ['vera', 'tom'])
      expect((await admin.call('POST', '/api/ui/users', { name, role: 'viewer', password: `${name} password 1` })).status).toBe(200);
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await h?.stop();
    await rtsp?.stop();
  });

  const open = async (b: Browser, channel: number) => {
    const s = await b.socket(`/api/ui/ws/live/cam-1/${channel}`);
    sockets.push(s);
    return s;
  };

  it('40 sockets from one viewer start at most the gateway cap of ffmpeg; the rest hear "limit reached"', async () => {
    const vera = new Browser(h.url, '127.0.0.30');
    expect((await vera.login('vera', 'vera password 1')).status).toBe(200);
    const all = await Promise.all(Array.from({ length: 40 }, (_, i) => open(vera, i + 1)));
    await vi.waitFor(() => expect(all.filter((s) => s.closed).length).toBe(38), { timeout: 10_000 });
    // Refused by the transcode cap, or (past 16) by the cap on sockets per login.
    for (const s of all.filter((x) => x.closed)) {
      expect(s.closed!.code).toBe(4429);
      expect(s.closed!.reason).toMatch(
        /^(live view limit reached: 2 cameras are streamed live on this gateway \(at most 2\)|too many open sockets for this login)/,
      );
    }
    liveRefusals = all.filter((x) => x.closed?.reason.startsWith('live view limit reached')).length;
    expect(liveRefusals).toBeGreaterThanOrEqual(14);
    const stats = h.ui.context.streams.stats();
    expect(stats).toHaveLength(2);
    // Both open sockets get video.
    const openOnes = all.filter((s) => !s.closed);
    await vi.waitFor(() => expect(openOnes.every((s) => s.bytes > 16 * 1024)).toBe(true), { timeout: 30_000, interval: 100 });

    // A third viewer of a watched stream shares its transcode; the fourth is over the per-user cap.
    const watched = Number(stats[0]!.key.split('/')[1]);
    const pid = stats[0]!.pid;
    const third = await open(vera, watched);
    expect(third.closed).toBeUndefined();
    await vi.waitFor(() => expect(h.ui.context.streams.stats().find((s) => s.key === `cam-1/${watched}`)?.viewers).toBe(2));
    expect(h.ui.context.streams.stats().find((s) => s.key === `cam-1/${watched}`)?.pid).toBe(pid);
    const fourth = await open(vera, watched);
    await vi.waitFor(() => expect(fourth.closed?.code).toBe(4429));
    expect(fourth.closed!.reason).toMatch(/you already watch 3 live views \(at most 3\)/);

    // Another user: shared streams are fine until the gateway's viewer cap.
    const tom = new Browser(h.url, '127.0.0.31');
    expect((await tom.login('tom', 'tom password 1')).status).toBe(200);
    const t1 = await open(tom, watched);
    const t2 = await open(tom, watched);
    const t3 = await open(tom, watched);
    await vi.waitFor(() => expect(t3.closed?.code).toBe(4429));
    expect(t3.closed!.reason).toMatch(/5 live views are open on this gateway \(at most 5\)/);
    expect(t1.closed).toBeUndefined();
    expect(t2.closed).toBeUndefined();
    expect(h.ui.context.streams.stats().filter((s) => s.running).length).toBeLessThanOrEqual(2);
  });

  it('reports the CPU of live view on /metrics and to the cameras page', async () => {
    await vi.waitFor(
      async () => {
        const m = (await send(`${h.url}/metrics`)).text;
        expect(m).toMatch(/^gridgate_live_view_transcodes 2$/m);
        expect(m).toMatch(/^gridgate_live_view_viewers 5$/m);
        expect(Number(/^gridgate_live_view_cpu_seconds_total (\S+)$/m.exec(m)?.[1])).toBeGreaterThan(0);
        expect(Number(/^gridgate_live_view_refused_total (\S+)$/m.exec(m)?.[1])).toBe(liveRefusals + 2);
      },
      { timeout: 20_000, interval: 500 },
    );
    const cams = await admin.call('GET', '/api/ui/cameras');
    expect(cams.body.liveView).toMatchObject({ transcodes: 2, viewers: 5, refusedTotal: liveRefusals + 2 });
    expect(cams.body.liveView.cpuSecondsTotal).toBeGreaterThan(0);
  });

  it('the defaults suit a 2-core box and are the schema defaults', () => {
    const parsed = gatewayConfigSchema.parse({ gateway: 'gw-a', site: 'site-a', platform: { url: 'mqtt://127.0.0.1:1883' } });
    expect(parsed.http.liveView).toEqual(DEFAULT_LIVE_LIMITS);
    expect(DEFAULT_LIVE_LIMITS).toEqual({ maxTranscodes: 4, maxViewersPerUser: 4, maxViewers: 16 });
  });
});
