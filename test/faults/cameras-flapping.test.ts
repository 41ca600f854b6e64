import { afterAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../gateway/daemon.js';
import { type CameraSet, startCameraSet } from '../../simulators/onvif/camera-set.js';
import { type PlatformBroker, startPlatformBroker } from '../../simulators/platform/platform-broker.js';
import { contractValidator } from '../helpers/contract.js';
import { startGateway, tempDir, testConfig } from '../helpers/gateway-harness.js';
import { AcceptedSet, judge } from '../helpers/oracle.js';
import { PlatformRecorder } from '../helpers/platform.js';

describe('fault injection: 89 cameras, 10 % of them flapping', () => {
  const tmp = tempDir();
  let broker: PlatformBroker;
  let platform: PlatformRecorder;
  let gateway: Gateway;
  let cameras: CameraSet;
  afterAll(async () => {
    await gateway?.stop();
    await cameras?.stop();
    await platform?.stop();
    await broker?.stop();
    tmp.cleanup();
  });

  it('reports each flapping camera offline and back, keeps every other camera\'s events, and loses nothing', async () => {
    broker = await startPlatformBroker();
    platform = new PlatformRecorder(broker.url);
    await platform.start();
    cameras = await startCameraSet({ cameras: 89, credentials: { username: 'gridgate', password: 'flap-test-pass' }, discovery: false });
    const env = { GRIDGATE_TEST_CAMERA_PASSWORD: 'flap-test-pass' };
    const devices = cameras.devices.map((d) => ({ id: d.id, kind: 'camera' as const, driver: 'onvif' as const, url: d.url, username: 'gridgate', password: { env: 'GRIDGATE_TEST_CAMERA_PASSWORD' } }));
    gateway = await startGateway(testConfig(broker.url, tmp.dir, { devices }), env);
    const accepted = new AcceptedSet();
    gateway.bus.on('event', (e) => accepted.events.add(e.id));
    gateway.bus.on('readings', (rs) => {
      for (const r of rs) accepted.readings.add(r.id);
    });
    await platform.until(() => gateway.deviceStates().filter((d) => d.status === 'online').length === 89, 60_000, 'all 89 cameras online');

    // 9 cameras go offline and come back every 4 s, while all cameras raise analytics.
    const flappers = cameras.cameras.slice(0, 9);
    const steady = cameras.cameras.slice(9);
    const timer = setInterval(() => {
      for (const cam of flappers) void cam.setFaults({ offline: !cam.faults.offline });
    }, 4000);
    const analytics = setInterval(() => {
      for (const cam of cameras.cameras) if (!cam.faults.offline) cameras.emit(cam.o.id, 'intrusion', { on: Math.random() < 0.5 });
    }, 1000);
    await new Promise((r) => setTimeout(r, 25_000));
    clearInterval(timer);
    clearInterval(analytics);
    for (const cam of flappers) await cam.setFaults({ offline: false });
    await platform.until(() => gateway.deviceStates().filter((d) => d.status === 'online').length === 89, 60_000, 'all cameras back');

    const offline = new Set(platform.events('device.offline').map((e) => e.source.device));
    expect([...offline].sort()).toEqual(flappers.map((c) => c.o.id).sort());
    for (const e of platform.events('device.offline')) expect(e.message).toMatch(/is (offline|error): ./);
    // Every steady camera's analytics arrived.
    const intrusionsBy = new Set(platform.events('intrusion').map((e) => e.source.device));
    for (const cam of steady) expect(intrusionsBy.has(cam.o.id), cam.o.id).toBe(true);
    await platform.until(() => {
      const v = judge(platform, accepted);
      return v.lostEvents === 0 && v.lostReadings === 0;
    }, 30_000, 'every accepted event and reading');
    const verdict = judge(platform, accepted);
    expect(verdict.gaps.event).toEqual([]);
    const contract = contractValidator();
    for (const m of platform.of('event')) expect(contract.check('event', m.doc)).toBeUndefined();
    for (const m of platform.of('device-state')) expect(contract.check('device-state', m.doc)).toBeUndefined();
  });
});
