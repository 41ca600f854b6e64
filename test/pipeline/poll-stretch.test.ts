import { afterEach, describe, expect, it } from 'vitest';
import { ModbusDriver } from '../../drivers/modbus/modbus-driver.js';
import { silentLogger } from '../../gateway/core/logger.js';
import type { DeviceKind } from '../../gateway/core/model.js';
import type { RawSample } from '../../gateway/devices/driver.js';
import { OverloadGuard } from '../../gateway/pipeline/overload-guard.js';
import { type ModbusSimulator, startModbusSimulator } from '../../simulators/modbus/simulator.js';
import { RecordingContext } from '../helpers/recording-context.js';
import { deviceFromProfile, samplesOf } from '../modbus/helpers.js';

/** A guard made overloaded by a backlog that grows while connected (twelve ticks: keepOneIn 4). */
function overloadedGuard() {
  const kinds: Record<string, DeviceKind> = { meter: 'modbus', synthetic: 'other', counter: 'people-counter' };
  let shed = 0;
  const guard = new OverloadGuard({
    signals: { connected: () => true, backlogAgeMs: () => 60_000, capacityUsed: () => 0, commitBusyMs: () => 0, kindOf: (d) => kinds[d] },
    log: silentLogger(),
    onChange: () => {},
    onShed: (n) => {
      shed += n;
    },
    memoryLimitBytes: Number.MAX_SAFE_INTEGER,
  });
  // Ten ticks to see the backlog is not draining, then two overloaded ones: keepOneIn 4.
  for (let i = 0; i < 12; i++) guard.tick();
  const poll = (device: string): RawSample[] => Array.from({ length: 10 }, (_, i) => ({ device, point: `r${i}`, ts: Date.now(), raw: i }));
  const admitted = (device: string, polls: number) => Array.from({ length: polls }, () => guard.admit(poll(device))).filter(Boolean).length;
  return { guard, admitted, shed: () => shed };
}

describe('overload: poll intervals of low-priority devices are stretched before anything is dropped', () => {
  it('asks low-priority pollers to stretch by the thinning factor, and does not thin the devices that do', () => {
    const { guard, admitted, shed } = overloadedGuard();
    expect(guard.status()).toMatchObject({ overloaded: true, keepOneIn: 4, stretched: 0 });
    expect(guard.stretchFor('meter')).toBe(4);
    expect(guard.stretchFor('counter')).toBe(1); // feeds the crowd rules: never slowed
    expect(admitted('meter', 100)).toBe(100); // its poller stretched: no poll made and then dropped
    expect(admitted('synthetic', 100)).toBe(25); // a driver that cannot stretch is thinned, with counts
    expect(shed()).toBe(75 * 10);
    expect(guard.status()).toMatchObject({ stretched: 1, shed: 750 });
    // What the dashboard lists: which devices' poll groups are stretched, which are thinned and by how much.
    expect(guard.report()).toMatchObject({ stretchedDevices: ['meter'], thinnedDevices: [{ device: 'synthetic', dropped: 750 }] });
  });

  let sim: ModbusSimulator | undefined;
  let driver: ModbusDriver | undefined;
  afterEach(async () => {
    await driver?.stop(AbortSignal.timeout(5000));
    await sim?.stop();
  });

  it('the Modbus poller spaces its polls by the stretch it is given (against the simulator)', async () => {
    sim = await startModbusSimulator({ devices: [{ id: 'env-1', model: 'env-sensor', unitId: 1 }] });
    let stretch = 1;
    const ctx = Object.assign(new RecordingContext(), { pollStretch: () => stretch });
    driver = new ModbusDriver();
    await driver.start(ctx);
    // 50 ms polls; stretched 20 times they are 1 s apart.
    await driver.addDevice(
      await deviceFromProfile('modbus-env-sensor', {
        id: 'env-1',
        unitId: 1,
        intervalMs: 50,
        connection: { transport: 'tcp', host: '127.0.0.1', port: sim.ports['env-1']! },
      }),
    );
    const polls = () => [...new Set(samplesOf(ctx, 'env-1', 'temperature').map((s) => s.ts))];
    await ctx.until(() => polls().length >= 3, 30_000, 'polls at the configured interval');
    stretch = 20;
    const before = polls().length;
    await ctx.until(() => polls().length >= before + 3, 60_000, 'three polls after the stretch');
    const after = polls().slice(before);
    // Two stretched steps lie between the first and the third poll after the switch: at least
    // 2 s on the grid, at least 1 s even if the first of them ran up to 1 s late on a loaded box.
    expect(after[2]! - after[0]!).toBeGreaterThanOrEqual(1000);
  });
});
