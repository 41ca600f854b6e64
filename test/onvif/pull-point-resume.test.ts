import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REACHABILITY_BACKOFF, backoffDelay } from '../../drivers/onvif/backoff.js';
import { OnvifDriver } from '../../drivers/onvif/onvif-driver.js';
import { onvifDeviceSchema } from '../../drivers/onvif/schema.js';
import { startCameraSet } from '../../simulators/onvif/camera-set.js';
import { RecordingContext } from '../helpers/recording-context.js';
import { eventsOf, type Harness, PASSWORD, poll, startHarness, subscribed } from './sim-harness.js';

let h: Harness | undefined;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const c of cleanups.splice(0)) await c();
});

/** A driver with a ledger file, cam-001 added (the camera set's first device); stopped after the test. */
async function ledgerDriver(file: string, url: string) {
  const ctx = new RecordingContext();
  const driver = new OnvifDriver({ readSecret: () => PASSWORD, subscriptionFile: file });
  await driver.start(ctx);
  cleanups.unshift(() => driver.stop(AbortSignal.timeout(5000)));
  await driver.addDevice(
    onvifDeviceSchema.parse({
      id: 'cam-001',
      kind: 'camera',
      driver: 'onvif',
      url,
      username: 'admin',
      password: { env: 'X' },
      requestTimeoutMs: 1000,
      events: { pullTimeoutMs: 1000, terminationMs: 10_000 },
    }),
  );
  return { ctx, driver };
}

const stats = (id: string) => h!.driver.stats().find((s) => s.device === id)!;
const crossings = (id: string) => eventsOf(h!, id, 'line.crossed').map((e) => (e.data as Record<string, string>).ObjectId);

describe('ONVIF pull-point across network blips (issue 11)', () => {
  it('resumes the same pull-point after an outage and collects every event the camera queued during it', async () => {
    h = await startHarness({ cameras: 1, maxPullPoints: 2 });
    await subscribed(h, 'cam-001');
    const cam = h.set.camera('cam-001');
    const before = cam.store.ids();
    await cam.setFaults({ unreachable: true });
    await h.ctx.until(() => h!.ctx.lastStatus('cam-001')?.meta?.reason === 'unreachable', 20_000, 'unreachable seen');
    // 40 crossings raised while nothing can reach the camera: they wait on its pull-point.
    for (let i = 1; i <= 40; i++) h.set.emit('cam-001', 'line-crossed', { objectId: String(i) });
    await cam.setFaults({ unreachable: false });
    await h.ctx.until(() => crossings('cam-001').length >= 40, 30_000, 'queued crossings collected');
    expect(crossings('cam-001')).toEqual(Array.from({ length: 40 }, (_, i) => String(i + 1)));
    expect(cam.store.ids()).toEqual(before);
    expect(stats('cam-001').subscription).toMatchObject({ state: 'active', resubscribes: 0, lost: 0, open: 1 });
    expect(stats('cam-001').subscription!.resumes).toBeGreaterThanOrEqual(1);
    expect(h.ctx.lastStatus('cam-001')!.status).toBe('online');
    // "device online" once per change: online, offline (unreachable), online.
    expect(h.ctx.recorded.statuses.filter((s) => s.device === 'cam-001').map((s) => s.status)).toEqual(['online', 'offline', 'online']);
  });

  it('creates a new subscription only when the old one expired during the outage, and holds one slot', async () => {
    h = await startHarness({ cameras: 1, maxPullPoints: 2 }, { events: { terminationMs: 10_000 } });
    const cam = h.set.camera('cam-001');
    await cam.setFaults({ maxTerminationMs: 2000 });
    await subscribed(h, 'cam-001');
    await poll(() => stats('cam-001').subscription!.renewals >= 1, 'a renewal with the 2 s cap');
    await cam.setFaults({ unreachable: true });
    // The camera ends the pull-point 2 s after its last renewal; wait until it has.
    await poll(() => cam.store.ids().length === 0, 'camera expired the pull-point');
    await cam.setFaults({ unreachable: false });
    await subscribed(h, 'cam-001', 1);
    expect(stats('cam-001').subscription).toMatchObject({ lost: 1, resubscribes: 1, open: 1 });
    expect(cam.store.size).toBe(1);
    h.set.emit('cam-001', 'line-crossed', { objectId: 'after' });
    await h.ctx.until(() => crossings('cam-001').includes('after'), 10_000, 'events on the new subscription');
  });

  it('unsubscribes a pull-point it replaces, so two slots never run out', async () => {
    h = await startHarness({ cameras: 1, maxPullPoints: 2 });
    const cam = h.set.camera('cam-001');
    await subscribed(h, 'cam-001');
    for (let round = 1; round <= 3; round++) {
      // A hung pull-point (answers nothing) is replaced: the old one is unsubscribed first.
      await cam.setFaults({ hangPulls: true });
      await poll(() => stats('cam-001').subscription!.lost >= round, `hung pull-point ${round} given up`);
      await cam.setFaults({ hangPulls: false });
      await subscribed(h, 'cam-001', round);
      expect(cam.store.size).toBe(1);
    }
    expect(cam.counters.unsubscribes).toBe(3);
    expect(stats('cam-001').subscription).toMatchObject({ resubscribes: 3, open: 1 });
  }, 180_000); // each round: two late pulls in a row (3 s each) before a hang counts, then the backoff

  it('a lost CreatePullPoint answer holds a slot only until its short initial termination, never a third', async () => {
    let peak = 0;
    // Two answers lost in a row on a two-slot camera: both slots are held by pull-points whose
    // addresses gridgate never learnt; it must wait for them to expire, not for 120 s.
    h = await startHarness({ cameras: 1, maxPullPoints: 2 }, { events: { terminationMs: 120_000 } }, PASSWORD, async (set) => {
      await set.camera('cam-001').setFaults({ dropCreateAnswers: 2 });
      const timer = setInterval(() => (peak = Math.max(peak, set.camera('cam-001').store.size)), 20);
      cleanups.push(() => clearInterval(timer));
    });
    const cam = h.set.camera('cam-001');
    // Both slots are held for 30 s (the initial termination), then the backoff's next try succeeds.
    await poll(() => stats('cam-001').subscription?.state === 'active', 'subscribed once the unnamed ones expired', 100_000);
    await poll(() => cam.store.size === 1, 'the unnamed pull-points expired', 60_000);
    expect(peak).toBeLessThanOrEqual(2);
    // The one gridgate holds was renewed to the configured length right after creation.
    expect(stats('cam-001').subscription).toMatchObject({ state: 'active', open: 1 });
    expect(stats('cam-001').subscription!.renewals).toBeGreaterThanOrEqual(1);
    h.set.emit('cam-001', 'line-crossed', { objectId: 'after-lost-answers' });
    await h.ctx.until(() => crossings('cam-001').includes('after-lost-answers'), 20_000, 'events on the named pull-point');
  }, 200_000);

  it('releases the pull-point a previous run left (kill without Unsubscribe) before subscribing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridgate-onvif-ledger-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'onvif-subscriptions.json');
    const set = await startCameraSet({ cameras: 1, maxPullPoints: 2, credentials: { username: 'admin', password: PASSWORD } });
    cleanups.push(() => set.stop());
    const cam = set.camera('cam-001');
    // What a killed run leaves: a live pull-point on the camera, recorded in the ledger file.
    const left = cam.store.create(undefined, cam.deviceNow() + 60_000);
    writeFileSync(file, JSON.stringify({ 'cam-001': [`${cam.baseUrl}/onvif/subscription/${left.id}`] }));
    const ctx = new RecordingContext();
    const driver = new OnvifDriver({ readSecret: () => PASSWORD, subscriptionFile: file });
    await driver.start(ctx);
    cleanups.unshift(() => driver.stop(AbortSignal.timeout(5000)));
    const cfg = onvifDeviceSchema.parse({
      id: 'cam-001',
      kind: 'camera',
      driver: 'onvif',
      url: set.devices[0]!.url,
      username: 'admin',
      password: { env: 'X' },
      requestTimeoutMs: 1000,
      events: { pullTimeoutMs: 1000, terminationMs: 10_000 },
    });
    await driver.addDevice(cfg);
    await poll(() => driver.stats()[0]?.subscription?.state === 'active', 'subscribed');
    expect(cam.store.ids()).not.toContain(left.id);
    expect(cam.store.size).toBe(1);
    expect(cam.counters.unsubscribes).toBe(1);
    const ledger = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string[]>;
    expect(ledger['cam-001']).toEqual([`${cam.baseUrl}/onvif/subscription/${cam.store.ids()[0]}`]);
    const [inUse] = cam.store.ids();
    // The gateway stops: the pull-point in use is kept (and recorded) for the next run to take up.
    await driver.stop(AbortSignal.timeout(5000));
    expect(cam.store.ids()).toEqual([inUse]);
    const kept = `${cam.baseUrl}/onvif/subscription/${inUse}`;
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ 'cam-001': [kept], '@current': { 'cam-001': kept } });
    // Removing the device releases it.
    const again = new OnvifDriver({ readSecret: () => PASSWORD, subscriptionFile: file });
    await again.start(new RecordingContext());
    await again.addDevice(cfg);
    await poll(() => again.stats()[0]?.subscription?.state === 'active', 'taken up');
    expect(cam.store.ids()).toEqual([inUse]);
    await again.removeDevice('cam-001');
    expect(cam.store.size).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({});
    await again.stop(AbortSignal.timeout(5000));
  });

  it('takes up the pull-point a killed run was pulling, collecting what the camera queued meanwhile, and releases the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridgate-onvif-ledger-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'onvif-subscriptions.json');
    const set = await startCameraSet({ cameras: 1, maxPullPoints: 2, credentials: { username: 'admin', password: PASSWORD } });
    cleanups.push(() => set.stop());
    const cam = set.camera('cam-001');
    // What a run killed while pulling leaves: the pull-point in use and one it was giving up.
    const inUse = cam.store.create(undefined, cam.deviceNow() + 60_000);
    const givenUp = cam.store.create(undefined, cam.deviceNow() + 60_000);
    const url = (id: number) => `${cam.baseUrl}/onvif/subscription/${id}`;
    writeFileSync(file, JSON.stringify({ 'cam-001': [url(inUse.id), url(givenUp.id)], '@current': { 'cam-001': url(inUse.id) } }));
    // Raised while no gateway runs: queued on both pull-points.
    for (let i = 1; i <= 5; i++) set.emit('cam-001', 'line-crossed', { objectId: `while-down-${i}` });
    const { ctx, driver } = await ledgerDriver(file, set.devices[0]!.url);
    const got = () => ctx.recorded.events.filter((e) => e.type === 'line.crossed').map((e) => (e.data as Record<string, string>).ObjectId);
    await poll(() => got().length >= 5, 'the queued crossings');
    expect(got()).toEqual(['while-down-1', 'while-down-2', 'while-down-3', 'while-down-4', 'while-down-5']);
    expect(cam.counters.subscriptions).toBe(0); // no CreatePullPointSubscription: taken up
    await poll(() => cam.store.size === 1, 'the other released');
    expect(cam.store.ids()).toEqual([inUse.id]);
    expect(driver.stats()[0]?.subscription).toMatchObject({ state: 'active', lost: 0, resubscribes: 0, open: 1 });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ 'cam-001': [url(inUse.id)], '@current': { 'cam-001': url(inUse.id) } });
  });

  it('makes a new pull-point at once when the one a killed run was pulling is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridgate-onvif-ledger-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'onvif-subscriptions.json');
    const set = await startCameraSet({ cameras: 1, maxPullPoints: 2, credentials: { username: 'admin', password: PASSWORD } });
    cleanups.push(() => set.stop());
    const cam = set.camera('cam-001');
    const gone = `${cam.baseUrl}/onvif/subscription/999`; // the camera rebooted meanwhile: it knows no such pull-point
    writeFileSync(file, JSON.stringify({ 'cam-001': [gone], '@current': { 'cam-001': gone } }));
    const { driver } = await ledgerDriver(file, set.devices[0]!.url);
    await poll(() => driver.stats()[0]?.subscription?.state === 'active', 'subscribed');
    expect(cam.counters.subscriptions).toBe(1);
    expect(cam.store.size).toBe(1);
    expect(driver.stats()[0]?.subscription?.consecutiveFailures).toBe(0);
  });

  it('refuses a third pull-point on a camera with two slots (the simulator imitates firmware limits)', async () => {
    const set = await startCameraSet({ cameras: 1, maxPullPoints: 2 });
    cleanups.push(() => set.stop());
    const cam = set.camera('cam-001');
    cam.store.create(undefined, cam.deviceNow() + 60_000);
    cam.store.create(undefined, cam.deviceNow() + 60_000);
    expect(() => cam.store.create(undefined, cam.deviceNow() + 60_000)).toThrow(/at most 2 pull-points/);
  });

  it('probes an unreachable device at most every 5 s (+30 % jitter), from 0.5 s at each outage', () => {
    const delays = Array.from({ length: 20 }, (_, i) => backoffDelay(REACHABILITY_BACKOFF, i + 1, () => 1));
    expect(delays[0]).toBe(650);
    expect(Math.max(...delays)).toBe(6500);
  });
});
