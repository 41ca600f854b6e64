import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceConfig } from '../../gateway/config/schema/devices.js';
import { formatProblem } from '../../gateway/config/config-problems.js';
import { validateConfig } from '../../gateway/config/load-config.js';
import { TypedBus } from '../../gateway/core/bus.js';
import { systemClock } from '../../gateway/core/clock.js';
import { silentLogger } from '../../gateway/core/logger.js';
import type { DeviceState } from '../../gateway/core/model.js';
import { Gateway } from '../../gateway/daemon.js';
import { DeviceManager } from '../../gateway/devices/device-manager.js';
import type { Driver, DriverContext } from '../../gateway/devices/driver.js';
import type { GatewayBusEvents } from '../../gateway/pipeline/bus-events.js';
import { startPlatformBroker } from '../../simulators/platform/platform-broker.js';
import { TEST_ROOT, tempDir, testConfig } from '../helpers/gateway-harness.js';
import { PlatformRecorder } from '../helpers/platform.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const DEVICES = 500;

function validated(raw: ReturnType<typeof testConfig>) {
  const r = validateConfig(raw, { baseDir: process.cwd(), env: {} });
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('; '));
  return r.loaded.config;
}

function manyDevices(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    id: `dev-${String(i).padStart(3, '0')}`,
    kind: 'other' as const,
    driver: 'synthetic' as const,
    intervalMs: 1000,
    points: [{ name: 'v', wave: 'constant' as const, min: 1 }],
  }));
}

/** What a device-state message says, without its times: two equal ones in a row are a repeat. */
const content = (doc: Record<string, unknown>) => JSON.stringify({ ...doc, ts: undefined, lastSeen: undefined });

describe('device states at the platform', () => {
  it('with 500 devices: one message per device per change at start, once each on restart, a removed device cleared', async () => {
    const broker = await startPlatformBroker();
    cleanups.push(broker.stop);
    const platform = new PlatformRecorder(broker.url);
    await platform.start();
    cleanups.push(() => platform.stop());
    const tmp = tempDir('gg-dev-states-');
    cleanups.push(tmp.cleanup);
    const config = validated(testConfig(broker.url, tmp.dir, { devices: manyDevices(DEVICES) }));

    const states = (from = 0) => platform.of('device-state').slice(from);
    const onlineDevices = (from = 0) =>
      new Set(
        states(from)
          .filter((m) => m.doc?.status === 'online')
          .map((m) => m.doc.device),
      );
    // Connected first, then 500 devices come up one after another (as polls answer at a site):
    // each change used to republish every device whose state was not yet acknowledged.
    let gateway = new Gateway({ config: validated(testConfig(broker.url, tmp.dir, { devices: [] })), baseDir: process.cwd(), log: silentLogger(), env: {} });
    await gateway.start();
    cleanups.push(() => gateway.stop());
    await platform.until(() => platform.of('state').length > 0, 15_000, 'the gateway connected');
    await gateway.applyConfig(config);
    await platform.until(() => onlineDevices().size === DEVICES, 60_000, 'every device online at the platform');
    // Telemetry flows beside them: the device states did not crowd it out.
    await platform.until(() => platform.readings().length > 0, 30_000, 'telemetry');

    const byDevice = new Map<string, Array<Record<string, unknown>>>();
    for (const m of states()) byDevice.set(m.doc.device, [...(byDevice.get(m.doc.device) ?? []), m.doc]);
    expect(byDevice.size).toBe(DEVICES);
    for (const [device, docs] of byDevice) {
      // At most: the initial state (offline, not yet connected) and the change to online.
      // (The old code sent dozens per device here.)
      expect(docs.length, device).toBeLessThanOrEqual(2);
      for (let i = 1; i < docs.length; i++) expect(content(docs[i]!), `${device} repeated`).not.toBe(content(docs[i - 1]!));
    }

    // A restart republishes every device's state, once.
    await gateway.stop();
    const mark = states().length;
    gateway = new Gateway({ config, baseDir: process.cwd(), log: silentLogger(), env: {} });
    await gateway.start();
    await platform.until(() => onlineDevices(mark).size === DEVICES, 60_000, 'every device republished after the restart');
    const counts = new Map<string, number>();
    for (const m of states(mark)) counts.set(m.doc.device, (counts.get(m.doc.device) ?? 0) + 1);
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(2);

    // A device removed from the configuration: its retained state is deleted (empty retained message).
    const removed = 'dev-000';
    await gateway.applyConfig(validated(testConfig(broker.url, tmp.dir, { devices: manyDevices(DEVICES).slice(1) })));
    const topic = `${TEST_ROOT}/devices/${removed}/state`;
    await platform.until(() => platform.messages.some((m) => m.topic === topic && m.payload.length === 0), 15_000, 'the removed device cleared');
    const late = new PlatformRecorder(broker.url, `${TEST_ROOT}/devices/+/state`);
    await late.start();
    cleanups.push(() => late.stop());
    await late.until(() => late.messages.length >= DEVICES - 1, 15_000, 'retained states');
    expect(late.messages.some((m) => m.topic === topic)).toBe(false);
  }, 180_000);

  describe('the device manager', () => {
    async function managed() {
      const bus = new TypedBus<GatewayBusEvents>(silentLogger());
      const published: DeviceState[] = [];
      bus.on('device-state', (s) => published.push(s));
      let ctx: DriverContext | undefined;
      const driver: Driver = {
        name: 'synthetic',
        start: async (c) => {
          ctx = c;
        },
        stop: async () => {},
        addDevice: async () => {},
        updateDevice: async () => {},
        removeDevice: async () => {},
      };
      const manager = new DeviceManager({
        drivers: new Map([['synthetic', driver]]),
        bus,
        clock: systemClock,
        log: silentLogger(),
        mode: () => 'normal',
        onModeChange: () => () => {},
      });
      const device = validated(testConfig('mqtt://127.0.0.1:1', '/tmp')).devices[0] as DeviceConfig;
      await manager.start([device]);
      return { ctx: ctx!, published, id: device.id };
    }

    it('forgets meta.reason when the device is back online, and removes keys set to null', async () => {
      const { ctx, published, id } = await managed();
      ctx.status(id, { status: 'online', meta: { model: 'X1', firmware: '1.0' } });
      ctx.status(id, { status: 'offline', error: 'no answer in 5000 ms', meta: { reason: 'unreachable' } });
      expect(published.at(-1)?.meta).toEqual({ model: 'X1', firmware: '1.0', reason: 'unreachable' });
      ctx.status(id, { status: 'online' });
      expect(published.at(-1)).toMatchObject({ status: 'online', meta: { model: 'X1', firmware: '1.0' } });
      expect(published.at(-1)?.meta).not.toHaveProperty('reason');
      ctx.status(id, { status: 'online', meta: { firmware: null } });
      expect(published.at(-1)?.meta).toEqual({ model: 'X1' });
    });

    it('publishes a state once per change: the same status and meta again give nothing', async () => {
      const { ctx, published, id } = await managed();
      const before = published.length;
      ctx.status(id, { status: 'online', meta: { model: 'X1' } });
      ctx.status(id, { status: 'online', meta: { model: 'X1' } });
      ctx.status(id, { status: 'online' });
      ctx.samples([{ device: id, point: 'temperature', ts: Date.now(), raw: 1 }]);
      expect(published.length - before).toBe(1);
      ctx.status(id, { status: 'offline', error: 'gone' });
      ctx.status(id, { status: 'offline', error: 'gone' });
      expect(published.length - before).toBe(2);
    });
  });
});
