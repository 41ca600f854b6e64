import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { HELD_AT_STOP } from '../../gateway/composition/held-events.js';
import { type CameraSet, startCameraSet } from '../../simulators/onvif/camera-set.js';
import { type PlatformBroker, startPlatformBroker } from '../../simulators/platform/platform-broker.js';
import { tempDir, testConfig } from '../helpers/gateway-harness.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { PlatformRecorder } from '../helpers/platform.js';

const PASSWORD = 'held-kill-pass';

/** Rows in the gateway's held-events journal, read beside the running gateway (WAL allows it). */
function heldRows(dbPath: string): number {
  try {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      return db.prepare('SELECT count(*) FROM held_events').pluck().get() as number;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not created yet
  }
}

/**
 * An ONVIF pull has no acknowledgement: a pulled notification is gone from the camera. An event
 * that waits for its picture must therefore survive a kill -9 during the wait. A real gateway
 * process pulls a line crossing from a simulated camera whose snapshot never answers, is killed
 * while it waits, and is started again: the platform gets the event once, without the picture,
 * saying why.
 */
describe('an ONVIF event waiting for its picture, across kill -9', () => {
  const tmp = tempDir('gg-held-');
  let broker: PlatformBroker | undefined;
  let platform: PlatformRecorder | undefined;
  let cameras: CameraSet | undefined;
  let gw: GatewayProcess | undefined;
  afterAll(async () => {
    await gw?.kill('SIGKILL');
    await cameras?.stop();
    await platform?.stop();
    await broker?.stop();
    tmp.cleanup();
  });

  it('an event held for its picture is sent once after the restart, without the picture', { timeout: 180_000 }, async () => {
    broker = await startPlatformBroker();
    platform = new PlatformRecorder(broker.url);
    await platform.start();
    cameras = await startCameraSet({ cameras: 1, credentials: { username: 'gridgate', password: PASSWORD }, discovery: false });
    const camera = cameras.cameras[0]!;
    const dataDir = join(tmp.dir, 'data');
    const config = testConfig(broker.url, dataDir, {
      devices: [
        {
          id: camera.o.id,
          kind: 'camera',
          driver: 'onvif',
          url: cameras.devices[0]!.url,
          username: 'gridgate',
          password: { env: 'GRIDGATE_TEST_CAMERA_PASSWORD' },
          // The longest wait the driver allows: the kill lands inside it on any machine.
          snapshots: { timeoutMs: 30_000 },
        },
      ],
    });
    gw = new GatewayProcess(tmp.dir, config);
    const env = { GRIDGATE_TEST_CAMERA_PASSWORD: PASSWORD };
    gw.start(env);
    await platform.until(() => platform!.events('gateway.started').length === 1 && camera.counters.subscriptions >= 1, 60_000, 'gateway up and subscribed');
    // A pull-point in use: an event raised now is pulled within one long-poll.
    await platform.until(() => camera.counters.pulls >= 1, 60_000, 'first pull');

    await cameras.setFaults(camera.o.id, { hangSnapshots: true });
    // A line crossing: a pulse (no property state the camera would send again on the next subscription).
    cameras.emit(camera.o.id, 'line-crossed', { objectId: 'held-1' });
    const dbPath = join(dataDir, 'gridgate.db');
    // Pulled, its picture asked for (and hanging), and journaled.
    await platform.until(() => camera.counters.snapshotRequests >= 1 && heldRows(dbPath) === 1, 60_000, 'the event held for its picture');
    expect(platform.events('line.crossed')).toHaveLength(0);

    await gw.kill('SIGKILL');
    await cameras.setFaults(camera.o.id, { hangSnapshots: false });
    gw.start(env);
    await platform.until(() => platform!.events('line.crossed').length >= 1, 60_000, 'the held crossing on the platform');
    await platform.until(() => platform!.events('gateway.started').length === 2, 60_000, 'second start');
    // Give a duplicate the time to show up: the second life's first state publication comes after.
    await platform.until(() => heldRows(dbPath) === 0, 30_000, 'the journal emptied');
    await new Promise((r) => setTimeout(r, 2000));

    const got = platform.events('line.crossed');
    expect(got).toHaveLength(1);
    expect(got[0].data.objectId).toBe('held-1');
    expect(got[0].source.device).toBe(camera.o.id);
    expect(got[0].snapshot).toBeUndefined();
    expect(got[0].data.snapshotSkipped).toBe(HELD_AT_STOP);
    // The event keeps the time it happened, not the time it was re-sent.
    expect(Date.parse(got[0].ts)).toBeLessThan(Date.parse(platform.events('gateway.started')[1].ts));
  });

  it("collects what the camera queued while the gateway was down: the killed run's pull-point is taken up", { timeout: 180_000 }, async () => {
    const camera = cameras!.cameras[0]!;
    await platform!.until(() => camera.counters.pulls >= 3, 60_000, 'pulling');
    const subscriptions = camera.counters.subscriptions;
    await gw!.kill('SIGKILL');
    for (let i = 1; i <= 3; i++) cameras!.emit(camera.o.id, 'line-crossed', { objectId: `while-down-${i}` });
    gw!.start({ GRIDGATE_TEST_CAMERA_PASSWORD: PASSWORD });
    const whileDown = () =>
      platform!
        .events('line.crossed')
        .map((e) => e.data.objectId)
        .filter((id: string) => id.startsWith('while-down-'));
    await platform!.until(() => whileDown().length >= 3, 60_000, 'the crossings raised while the gateway was down');
    await platform!.until(() => platform!.events('gateway.started').length === 3, 60_000, 'third start');
    expect(whileDown()).toEqual(['while-down-1', 'while-down-2', 'while-down-3']);
    // No CreatePullPointSubscription: the same pull-point, taken up.
    expect(camera.counters.subscriptions).toBe(subscriptions);
  });

  it('and across a graceful restart (SIGTERM): the pull-point is left to the camera for the next run', { timeout: 180_000 }, async () => {
    const camera = cameras!.cameras[0]!;
    await platform!.until(() => camera.counters.pulls >= 3, 60_000, 'pulling');
    const subscriptions = camera.counters.subscriptions;
    const unsubscribes = camera.counters.unsubscribes;
    expect(await gw!.kill('SIGTERM')).toBe(0);
    for (let i = 1; i <= 3; i++) cameras!.emit(camera.o.id, 'line-crossed', { objectId: `restart-${i}` });
    gw!.start({ GRIDGATE_TEST_CAMERA_PASSWORD: PASSWORD });
    const duringRestart = () =>
      platform!
        .events('line.crossed')
        .map((e) => e.data.objectId)
        .filter((id: string) => id.startsWith('restart-'));
    await platform!.until(() => duringRestart().length >= 3, 60_000, 'the crossings raised during the restart');
    expect(duringRestart()).toEqual(['restart-1', 'restart-2', 'restart-3']);
    expect(camera.counters.subscriptions).toBe(subscriptions);
    expect(camera.counters.unsubscribes).toBe(unsubscribes);
  });
});
