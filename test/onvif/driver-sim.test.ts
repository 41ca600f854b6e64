import { afterEach, describe, expect, it } from 'vitest';
import { OnvifDriver } from '../../drivers/onvif/onvif-driver.js';
import type { OnvifDeviceConfig } from '../../drivers/onvif/schema.js';
import type { Driver } from '../../gateway/devices/driver.js';
import { eventsOf, type Harness, startHarness, subscribed } from './sim-harness.js';

/**
 * Compile-time check that OnvifDriver has the driver contract's shape (it becomes
 * `implements Driver<OnvifDeviceConfig>` once drivers/index.ts lists the onvif module).
 */
type OnvifContract = Omit<Driver, 'name' | 'addDevice' | 'updateDevice'> & {
  name: 'onvif';
  addDevice(d: OnvifDeviceConfig): Promise<void>;
  updateDevice(d: OnvifDeviceConfig): Promise<void>;
};
const contractCheck: OnvifContract = new OnvifDriver();
void contractCheck;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('ONVIF driver against the simulator (real HTTP on 127.0.0.1)', () => {
  it('connects cameras and an NVR: information, Media2 profiles, stream and snapshot URIs per channel', async () => {
    h = await startHarness({ cameras: 2, nvrChannels: 4 });
    for (const id of ['cam-001', 'cam-002', 'nvr-01']) await subscribed(h, id);
    const nvr = h.ctx.lastStatus('nvr-01')!;
    expect(nvr.status).toBe('online');
    expect(nvr.meta).toMatchObject({ manufacturer: 'Gridgate Sim', model: 'GS-NVR-64', serial: 'SIM-NVR-01', media2: true });
    // Status is reported once per change: connecting → online is one report, not one per subscription step.
    expect(h.ctx.recorded.statuses.filter((s) => s.device === 'nvr-01').map((s) => s.status)).toEqual(['online']);
    expect(h.driver.stats().find((s) => s.device === 'nvr-01')!.subscription).toMatchObject({ state: 'active', resubscribes: 0, open: 1 });
    expect((nvr.meta!.channels as unknown[]).length).toBe(4);
    expect(nvr.meta!.channels).toContainEqual({ channel: 3, stream: 'rtsp://127.0.0.1:554/ch3/main', snapshot: true });
    const jpeg = await h.driver.snapshot('nvr-01', 3);
    expect([jpeg[0], jpeg[1], jpeg.at(-2), jpeg.at(-1)]).toEqual([0xff, 0xd8, 0xff, 0xd9]);
    expect(jpeg.toString('latin1')).toContain('nvr-01 ch3');
    await expect(h.driver.snapshot('nvr-01', 9)).rejects.toMatchObject({ code: 'E_ONVIF_NO_CHANNEL' });
  });

  it('uses Media ver10 when Media2 is off', async () => {
    h = await startHarness({ cameras: 1, media2: false });
    await subscribed(h, 'cam-001');
    expect(h.ctx.lastStatus('cam-001')!.meta).toMatchObject({
      media2: false,
      channels: [{ channel: 1, stream: 'rtsp://127.0.0.1:554/ch1/main', snapshot: true }],
    });
  });

  it('normalizes every analytics kind the simulator raises, with snapshots where the registry asks', async () => {
    h = await startHarness({ cameras: 1, nvrChannels: 2 });
    await subscribed(h, 'cam-001');
    await subscribed(h, 'nvr-01');
    const kinds = [
      'motion',
      'line-crossed',
      'intrusion',
      'loitering',
      'object-left',
      'tamper',
      'video-loss',
      'illegal-parking',
      'street-vendor',
      'floating-object',
      'fireworks',
      'smoke',
      'crowd-density',
      'unknown-vendor',
    ] as const;
    for (const k of kinds) h.set.emit('cam-001', k);
    h.set.emit('nvr-01', 'people-count', { channel: 2, in: 5, out: 2 });
    await h.ctx.until(() => eventsOf(h!, 'cam-001').length >= kinds.length && eventsOf(h!, 'nvr-01').length >= 1, 20_000, 'all events');
    expect(eventsOf(h, 'cam-001').map((e) => e.type)).toEqual([
      'motion',
      'line.crossed',
      'intrusion',
      'loitering',
      'object.left',
      'camera.tamper',
      'camera.video_loss',
      'vehicle.illegal_parking',
      'street.vendor',
      'water.floating_object',
      'fireworks',
      'fire.smoke',
      'crowd.density',
      'vendor.camera_application_platform.bird_counter.camera1_profile1',
    ]);
    const withPicture = eventsOf(h, 'cam-001')
      .filter((e) => e.snapshot)
      .map((e) => e.type);
    // Rate limit: burst 3, then one per 2 s; the rest go without a picture and say why.
    expect(withPicture.length).toBeGreaterThanOrEqual(3);
    expect(eventsOf(h, 'cam-001').some((e) => String(e.data?.snapshotSkipped).startsWith('rate-limited'))).toBe(true);
    expect(eventsOf(h, 'cam-001', 'motion')[0]!.snapshot).toBeUndefined();
    const count = eventsOf(h, 'nvr-01', 'people.count')[0]!;
    expect(count.channel).toBe(2);
    expect(h.ctx.recorded.samples.filter((s) => s.device === 'nvr-01').map((s) => [s.point, s.raw])).toEqual([
      ['ch2/people.in', 5],
      ['ch2/people.out', 2],
      ['ch2/people.count', 3],
    ]);
  });

  it('follows clock skew: a camera 10 min ahead with a 5 s token window still authenticates', async () => {
    h = await startHarness({ cameras: 1, tokenWindowMs: 5000, soapAuth: 'ws-security' }, { auth: 'ws-security' });
    await h.set.setFaults('cam-001', { clockSkewMs: 600_000 });
    await subscribed(h, 'cam-001');
    const offset = h.driver.stats()[0]!.clockOffsetMs;
    expect(Math.abs(offset - 600_000)).toBeLessThan(1500);
    expect(h.set.camera('cam-001').counters.authFailures).toBe(0);
  });

  it('re-reads the clock after NotAuthorized when the camera clock jumps, then resubscribes', async () => {
    h = await startHarness({ cameras: 1, tokenWindowMs: 5000, soapAuth: 'ws-security' }, { auth: 'ws-security' });
    await subscribed(h, 'cam-001');
    await h.set.setFaults('cam-001', { clockSkewMs: -3_600_000 });
    h.set.killSubscriptions('cam-001');
    await subscribed(h, 'cam-001', 1);
    expect(Math.abs(h.driver.stats()[0]!.clockOffsetMs + 3_600_000)).toBeLessThan(1500);
    h.set.emit('cam-001', 'fireworks');
    await h.ctx.until(() => eventsOf(h!, 'cam-001', 'fireworks').length === 1, 10_000, 'event after clock jump');
  });

  it('speaks HTTP Digest to a camera that wants it for SOAP', async () => {
    h = await startHarness({ cameras: 1, soapAuth: 'http-digest' }, { auth: 'auto' });
    await subscribed(h, 'cam-001');
    h.set.emit('cam-001', 'line-crossed');
    await h.ctx.until(() => eventsOf(h!, 'cam-001', 'line.crossed').length === 1, 10_000, 'event over digest');
  });

  it('reports a wrong password as auth-failed and does not retry in a loop', async () => {
    h = await startHarness({ cameras: 1 }, {}, 'wrong-password');
    await h.ctx.until(() => h!.ctx.lastStatus('cam-001')?.meta?.reason === 'auth-failed', 10_000, 'auth-failed');
    expect(h.ctx.lastStatus('cam-001')).toMatchObject({ status: 'offline', error: expect.stringMatching(/refused the credentials|NotAuthorized/) });
    const failures = h.set.camera('cam-001').counters.authFailures;
    await new Promise((r) => setTimeout(r, 3000));
    // The next try waits ≥ 60 s (AUTH_BACKOFF): no new attempts in the meantime.
    expect(h.set.camera('cam-001').counters.authFailures).toBe(failures);
    expect(failures).toBeLessThanOrEqual(4);
  });
});
