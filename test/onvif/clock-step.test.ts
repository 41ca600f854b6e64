import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CameraSet, startCameraSet } from '../../simulators/onvif/camera-set.js';
import { type PlatformBroker, startPlatformBroker } from '../../simulators/platform/platform-broker.js';
import { tempDir, testConfig } from '../helpers/gateway-harness.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { PlatformRecorder } from '../helpers/platform.js';

/** Debian's libfaketime (package faketime, see scripts/test-prerequisites.sh). */
const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The real wall clock of a gateway child process is stepped −1 h and then +1 day with libfaketime
 * (CLOCK_REALTIME only: DONT_FAKE_MONOTONIC=1, re-read on every call: FAKETIME_NO_CACHE=1) while
 * three simulated cameras (in this process, real time) raise line crossings. The driver's renew,
 * expiry, silence and backoff schedules run on the monotonic clock, and the camera clock offset
 * is re-pinned by the next PullMessages CurrentTime (or the clock re-read after a NotAuthorized),
 * so events keep flowing, stamped in the child's (stepped) time.
 */
describe('ONVIF driver when the gateway wall clock steps (libfaketime, child process)', () => {
  const tmp = tempDir();
  let broker: PlatformBroker;
  let platform: PlatformRecorder;
  let cameras: CameraSet;
  let gw: GatewayProcess | undefined;
  afterAll(async () => {
    await gw?.kill('SIGTERM');
    await cameras?.stop();
    await platform?.stop();
    await broker?.stop();
    tmp.cleanup();
  });

  it('keeps events flowing after −1 h and +1 day steps', { timeout: 180_000 }, async () => {
    broker = await startPlatformBroker();
    platform = new PlatformRecorder(broker.url);
    await platform.start();
    cameras = await startCameraSet({ cameras: 3, maxPullPoints: 2, credentials: { username: 'gridgate', password: 'step-test-pass' }, discovery: false });
    const devices = cameras.devices.map((d) => ({
      id: d.id,
      kind: 'camera' as const,
      driver: 'onvif' as const,
      url: d.url,
      username: 'gridgate',
      password: { env: 'GRIDGATE_TEST_CAMERA_PASSWORD' },
    }));
    const stepFile = join(tmp.dir, 'faketime.rc');
    writeFileSync(stepFile, '+0\n');
    gw = new GatewayProcess(tmp.dir, testConfig(broker.url, tmp.dir, { devices }));
    gw.start({
      GRIDGATE_TEST_CAMERA_PASSWORD: 'step-test-pass',
      LD_PRELOAD: LIBFAKETIME,
      FAKETIME_TIMESTAMP_FILE: stepFile,
      FAKETIME_NO_CACHE: '1',
      DONT_FAKE_MONOTONIC: '1',
    });

    const raised: string[] = [];
    let seq = 0;
    let subscribedFrom = Number.POSITIVE_INFINITY;
    const raiser = setInterval(() => {
      for (const c of cameras.cameras) {
        const id = `${c.o.id}-${++seq}`;
        raised.push(id);
        cameras.emit(c.o.id, 'line-crossed', { objectId: id });
      }
    }, 300);
    const delivered = () => new Map<string, number>(platform.events('line.crossed').map((e) => [e.data?.objectId as string, Date.parse(e.ts)]));
    /** Resolves when a crossing raised from now on reaches the platform from every camera; its ts per camera. */
    const flowing = async (what: string) => {
      const from = seq;
      await platform.until(
        () => {
          const got = delivered();
          return cameras.cameras.every((c) => [...got.keys()].some((k) => k?.startsWith(`${c.o.id}-`) && Number(k.split('-').pop()) > from));
        },
        60_000,
        `${what}: crossings from every camera\n${gw!.output.slice(-2000)}`,
      );
      return [...delivered()].filter(([k]) => Number(k.split('-').pop()) > from).map(([, ts]) => ts);
    };
    try {
      const before = await flowing('before the steps');
      expect(Math.abs(before[0]! - Date.now())).toBeLessThan(10 * 60_000);
      // From here on every crossing must arrive (those raised before the gateway subscribed had no pull-point).
      subscribedFrom = seq;
      await new Promise((r) => setTimeout(r, 5000));

      writeFileSync(stepFile, '-1h\n');
      const back = await flowing('after −1 h');
      // Stamped in the child's stepped time: about an hour behind the real clock.
      expect(back.every((ts) => ts < Date.now() - 50 * 60_000)).toBe(true);

      await new Promise((r) => setTimeout(r, 5000));
      writeFileSync(stepFile, '+1d\n');
      const ahead = await flowing('after +1 day');
      expect(ahead.every((ts) => ts > Date.now() + DAY - HOUR)).toBe(true);
      await new Promise((r) => setTimeout(r, 5000));
    } finally {
      clearInterval(raiser);
    }
    // Every crossing raised up to a moment ago arrives (none lost across the steps), and no camera
    // holds more than one pull-point.
    const upTo = raised.slice(0, raised.length - 30).filter((id) => Number(id.split('-').pop()) > subscribedFrom);
    expect(upTo.length).toBeGreaterThan(50);
    await platform
      .until(() => upTo.every((id) => delivered().has(id)), 60_000, 'every crossing delivered')
      .catch((err: Error) => {
        const got = delivered();
        const missing = upTo.filter((id) => !got.has(id));
        throw new Error(
          `${err.message}: ${missing.length} of ${upTo.length} missing, e.g. ${missing.slice(0, 12).join(' ')} (raised ${raised.length})\n${gw!.output.slice(-3000)}`,
        );
      });
    expect(cameras.cameras.map((c) => c.store.ids().length).every((n) => n <= 1)).toBe(true);
  });
});
