import { afterEach, describe, expect, it } from 'vitest';
import { MqttDriver } from '../../drivers/mqtt/mqtt-driver.js';
import { mqttDeviceSchema } from '../../drivers/mqtt/schema.js';
import { parseSensorArg, parseSensorFault } from '../../simulators/mqtt/cli.js';
import { DEMO_PASSWORD_ENV, startMqttDemo } from '../../simulators/mqtt/demo.js';
import { type MqttSensors, startMqttSensors } from '../../simulators/mqtt/mqtt-sensors.js';
import { CapturingContext, deviceFromProfile, last, samplesOf, waitFor } from './helpers.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A seeded PRNG (mulberry32), so the simulated crowd is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const PASSWORDS: Record<string, string> = { SIM_PW: 'sim-password' };
const embedded = { mode: 'embedded' as const, host: '127.0.0.1', port: 0 };
const auth = { password: { env: 'SIM_PW' } };

async function site() {
  let t = new Date(2026, 10, 27, 10, 0, 0).getTime(); // 10:00 local: a busy hour
  // The gateway's clocks follow the simulated time: a simulated minute between messages is a
  // minute to the counters' plausibility model too.
  const ctx = new CapturingContext({ now: () => t });
  const driver = new MqttDriver({ readSecret: (ref) => PASSWORDS[(ref as { env: string }).env]!, sweepMs: 10, monotonic: () => t });
  await driver.start(ctx);
  cleanups.push(() => driver.stop(AbortSignal.timeout(5000)));
  await driver.addDevice(await deviceFromProfile('mqtt-xovis-live', { id: 'pc-xovis', topicId: '80-1F-12', connection: embedded, auth }));
  await driver.addDevice(await deviceFromProfile('mqtt-axis-people-counter', { id: 'pc-axis', connection: embedded, auth }));
  await driver.addDevice(await deviceFromProfile('mqtt-irisys-counter', { id: 'pc-irisys', connection: embedded, auth }));
  await driver.addDevice(await deviceFromProfile('mqtt-env-json', { id: 'env-01', connection: embedded, auth, maxPayloadBytes: 4096 }));
  const { port } = await driver.brokerAddress('env-01');
  const sensors: MqttSensors = startMqttSensors({
    url: `mqtt://127.0.0.1:${port}`,
    random: seeded(7),
    now: () => t++, // every payload a millisecond later: a burst is not a run of duplicates
    reconnectPeriodMs: 50,
    sensors: [
      { id: 'pc-xovis', shape: 'xovis-live', topicId: '80-1F-12', password: 'sim-password', resetAtMidnight: false },
      { id: 'pc-axis', shape: 'axis-counter', password: 'sim-password', resetAtMidnight: false },
      { id: 'pc-irisys', shape: 'irisys', password: 'sim-password', startCount: 65_300, resetAtMidnight: false },
      { id: 'env-01', shape: 'env-json', password: 'sim-password' },
    ],
  });
  cleanups.push(() => sensors.stop());
  sensors.setRate(0); // the test publishes by hand
  sensors.setCrowd(3);
  await sensors.waitConnected();
  return { ctx, driver, sensors, advance: (ms: number) => (t += ms) };
}

describe('the MQTT simulator against the driver', () => {
  it('gives continuous per-line totals equal to the device counts, through a wrap and a reset', async () => {
    const { ctx, driver, sensors, advance } = await site();
    for (let i = 0; i < 10; i++) {
      advance(60_000);
      for (const id of ['pc-xovis', 'pc-axis', 'pc-irisys']) await sensors.publishNow(id);
    }
    await waitFor(() => ['pc-xovis', 'pc-axis', 'pc-irisys'].every((id) => driver.stats(id).messages === 10), 'ten messages each');
    expect(last(ctx, 'pc-xovis', 'in')!.raw).toBe(sensors.counts('pc-xovis')[0]!.in);
    expect(last(ctx, 'pc-axis', 'out')!.raw).toBe(sensors.counts('pc-axis')[0]!.out);
    expect(sensors.counts('pc-axis')[0]!.in).toBeGreaterThan(100); // the crowd moved
    // The Irisys-like counter started near 65535: its 16-bit register wrapped, the total did not.
    expect(driver.stats('pc-irisys').counterWraps).toBeGreaterThanOrEqual(1);
    expect(last(ctx, 'pc-irisys', 'in')!.raw).toBe(65_536 + sensors.counts('pc-irisys')[0]!.in);
    const deltas = samplesOf(ctx, 'pc-axis', 'in-delta').map((s) => s.raw as number);
    expect(deltas.reduce((a, b) => a + b, 0)).toBe((last(ctx, 'pc-axis', 'in')!.raw as number) - (samplesOf(ctx, 'pc-axis', 'in')[0]!.raw as number));

    // A reset on demand (a reboot): the device counts from 0, the total goes on.
    const before = last(ctx, 'pc-axis', 'in')!.raw as number;
    sensors.resetCounters('pc-axis');
    advance(60_000);
    await sensors.publishNow('pc-axis');
    await waitFor(() => driver.stats('pc-axis').messages === 11, 'the message after the reset');
    expect(driver.stats('pc-axis').counterResets).toBeGreaterThanOrEqual(1);
    expect(last(ctx, 'pc-axis', 'in')!.raw).toBe(before + sensors.counts('pc-axis')[0]!.in);
    // The same message twice does not count twice.
    await sensors.inject('pc-axis', { kind: 'duplicate' });
    await waitFor(() => driver.stats('pc-axis').messages === 12, 'the duplicate');
    expect(driver.stats('pc-axis').rejected.duplicate).toBe(1);
    expect(last(ctx, 'pc-axis', 'in')!.raw).toBe(before + sensors.counts('pc-axis')[0]!.in);
  });

  it('injects every fault kind; each is counted on its device and the sensor goes on', async () => {
    const { ctx, driver, sensors } = await site();
    await sensors.inject('env-01', { kind: 'not-json' });
    await sensors.inject('env-01', { kind: 'wrong-type' });
    await sensors.inject('env-01', { kind: 'missing-field' });
    await sensors.inject('env-01', { kind: 'oversized', bytes: 10_000 });
    await sensors.inject('env-01', { kind: 'subscribe', filter: '#' });
    await waitFor(() => driver.stats('env-01').messages === 4, 'four faulty messages');
    expect(driver.stats('env-01').rejected).toMatchObject({ notJson: 1, wrongType: 1, missingPath: 1, oversized: 1, aclDenied: 1 });
    expect(samplesOf(ctx, 'env-01', 'battery').find((s) => s.quality === 'bad')).toMatchObject({
      quality: 'bad',
      error: 'payload on sensors/env-01/data: $.battery is "n/a", not a number',
    });

    await sensors.inject('env-01', { kind: 'wrong-topic', topic: 'sensors/pc-axis/data' });
    await waitFor(() => driver.stats('env-01').rejected.aclDenied === 2, 'the ACL refusal');
    await waitFor(() => sensors.counters('env-01').connects === 2, 'the reconnect');
    expect(samplesOf(ctx, 'pc-axis')).toEqual([]);

    // What broke a real site: duplicate keys, a clock in 2099, an impossible jump.
    await sensors.inject('pc-axis', { kind: 'duplicate-key' });
    await sensors.inject('pc-axis', { kind: 'future-time' });
    await sensors.inject('pc-axis', { kind: 'jump' });
    await waitFor(() => driver.stats('pc-axis').messages === 3, 'three hostile messages');
    expect(driver.stats('pc-axis').rejected).toMatchObject({ duplicateKey: 1, untrustedTime: 1, implausible: 1 });
    // The jump hit the payload's last count (out): not counted, flagged; the time was only untrusted.
    expect(samplesOf(ctx, 'pc-axis', 'out').map((s) => s.quality)).toEqual(['uncertain', 'uncertain']);
    expect(samplesOf(ctx, 'pc-axis', 'out')[1]!.error).toMatch(/a jump from \d+ to 99999999/);
    expect(samplesOf(ctx, 'pc-axis', 'in')[0]!.error).toMatch(/device time 2099-01-01T00:00:00.000Z/);
    expect(Math.max(...samplesOf(ctx, 'pc-axis').map((s) => s.raw as number))).toBeLessThan(1_000_000);

    await sensors.inject('env-01', { kind: 'burst', count: 300 });
    await waitFor(() => driver.stats('env-01').messages === 304, 'the burst');
    expect(driver.stats('env-01').samples).toBeGreaterThanOrEqual(300 * 4);
    expect(ctx.lastStatus('env-01')?.status).toBe('online');
  });

  it('runs the demo site: every demo device validates and reports good values', async () => {
    const demo = await startMqttDemo({ intervalMs: 100 });
    cleanups.push(() => demo.stop());
    const ctx = new CapturingContext();
    const driver = new MqttDriver({ sweepMs: 50 });
    await driver.start(ctx);
    cleanups.push(() => driver.stop(AbortSignal.timeout(5000)));
    expect(process.env[DEMO_PASSWORD_ENV]).toBeTruthy();
    for (const d of demo.devices) {
      const parsed = mqttDeviceSchema.parse(d);
      await driver.addDevice(await deviceFromProfile(parsed.profile!, { ...d, kind: parsed.kind } as never));
    }
    await demo.sensors.waitConnected(20_000);
    await waitFor(() => demo.devices.every((d) => samplesOf(ctx, d.id).some((s) => s.quality !== 'bad')), 'a good sample from every demo device', 20_000);
    expect(ctx.recorded.samples.filter((s) => s.quality === 'bad')).toEqual([]);
  });

  it('reads sensors and faults from the command line', () => {
    expect(parseSensorArg('pc-01:xovis-live:80-1F', 'pw')).toEqual({ id: 'pc-01', shape: 'xovis-live', password: 'pw', topicId: '80-1F' });
    expect(() => parseSensorArg('pc-01:teleporter', 'pw')).toThrow(/expected id:shape\[:topicId\] with a shape of env-json/);
    expect(parseSensorFault('burst=50')).toEqual({ kind: 'burst', count: 50 });
    expect(parseSensorFault('oversized=2000')).toEqual({ kind: 'oversized', bytes: 2000 });
    expect(parseSensorFault('wrong-topic=sensors/x/data')).toEqual({ kind: 'wrong-topic', topic: 'sensors/x/data' });
    expect(() => parseSensorFault('burst=0')).toThrow(/burst needs a count/);
    expect(() => parseSensorFault('meteor')).toThrow(/unknown fault "meteor"/);
    expect(parseSensorFault('duplicate-key=99999999')).toEqual({ kind: 'duplicate-key', value: 99_999_999 });
    expect(parseSensorFault('future-time')).toEqual({ kind: 'future-time' });
    expect(parseSensorFault('jump')).toEqual({ kind: 'jump' });
  });
});
