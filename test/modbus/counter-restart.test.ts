import { afterAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../gateway/daemon.js';
import { CounterTracker } from '../../drivers/modbus/counter-tracker.js';
import { type ModbusSimulator, startModbusSimulator } from '../../simulators/modbus/simulator.js';
import { type PlatformBroker, startPlatformBroker } from '../../simulators/platform/platform-broker.js';
import { startGateway, tempDir, testConfig } from '../helpers/gateway-harness.js';
import { PlatformRecorder } from '../helpers/platform.js';

const WRAP = 2 ** 32;

describe('counter state across restarts', () => {
  it('a tracker restored from its saved state goes on from the same total; a state of another width is ignored', () => {
    const a = new CounterTracker(32);
    a.next(4_294_967_000);
    expect(a.next(10)).toEqual({ total: WRAP + 10, event: 'wrap' });
    const b = new CounterTracker(32, a.state());
    expect(b.next(15)).toEqual({ total: WRAP + 15 });
    expect(new CounterTracker(16, a.state()).next(15)).toEqual({ total: 15 });
  });
});

/**
 * A people counter's 32-bit `in` wraps while the gateway runs; the gateway restarts (same data
 * directory); its first reading goes on from the total, not from the device's raw value (which
 * would look like a drop of 2^32 people: a re-based zone).
 */
describe('Modbus counter totals survive a gateway restart (state store)', () => {
  const tmp = tempDir('gridgate-counter-');
  let broker: PlatformBroker;
  let platform: PlatformRecorder;
  let sim: ModbusSimulator;
  let gateway: Gateway | undefined;
  afterAll(async () => {
    await gateway?.stop();
    await sim?.stop();
    await platform?.stop();
    await broker?.stop();
    tmp.cleanup();
  });

  it('the total after the restart continues the one before it', async () => {
    broker = await startPlatformBroker();
    platform = new PlatformRecorder(broker.url);
    await platform.start();
    sim = await startModbusSimulator({ devices: [{ id: 'pc', model: 'people-counter' }] });
    const config = testConfig(broker.url, tmp.dir, {
      devices: [
        {
          id: 'pc',
          kind: 'people-counter',
          driver: 'modbus',
          profile: 'modbus-people-counter',
          connection: { transport: 'tcp', host: '127.0.0.1', port: sim.ports.pc! },
          intervalMs: 100,
        },
      ],
    });
    const totals = () =>
      platform
        .readings()
        .filter((r) => r.device === 'pc' && r.point === 'in' && r.quality === 'good')
        .map((r) => r.value as number);

    // The device's counter just below its wrap before the gateway first reads it.
    sim.device('pc').setValue('in', 4_294_967_000);
    gateway = await startGateway(config);
    await platform.until(() => totals().some((t) => t >= 4_294_967_000), 20_000, 'the high value');
    sim.device('pc').setValue('in', 20);
    await platform.until(() => totals().some((t) => t >= WRAP + 20), 20_000, 'the wrap');
    await gateway.stop();
    gateway = undefined;

    const before = totals().length;
    gateway = await startGateway(config);
    await platform.until(() => totals().length > before + 2, 20_000, 'readings after the restart');
    const after = totals().slice(before);
    expect(after[0]).toBeGreaterThanOrEqual(WRAP + 20);
    const all = totals();
    for (let i = 1; i < all.length; i++) expect(all[i]!, `reading ${i}`).toBeGreaterThanOrEqual(all[i - 1]!);
  });
});
