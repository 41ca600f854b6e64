import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModbusDriver } from '../../drivers/modbus/modbus-driver.js';
import { openPtyPair, type PtyPair } from '../../simulators/modbus/pty-pair.js';
import { startModbusSimulator, type ModbusSimulator } from '../../simulators/modbus/simulator.js';
import { RecordingContext } from '../helpers/recording-context.js';
import { deviceFromProfile, last, samplesOf } from './helpers.js';

/** Modbus RTU on a serial line: a socat pty pair, the simulator on one end with three units. */
describe('modbus driver over RTU on a pty (socat)', () => {
  let pty: PtyPair;
  let sim: ModbusSimulator;
  let driver: ModbusDriver;
  let ctx: RecordingContext;

  beforeEach(async () => {
    pty = await openPtyPair();
    sim = await startModbusSimulator({
      devices: [
        { id: 'env-7', model: 'env-sensor', unitId: 7, server: 'line', transport: 'rtu', path: pty.device },
        { id: 'pc-8', model: 'people-counter', unitId: 8, server: 'line' },
        { id: 'wl-9', model: 'water-level', unitId: 9, server: 'line' },
      ],
    });
    ctx = new RecordingContext();
    driver = new ModbusDriver();
    await driver.start(ctx);
  });

  afterEach(async () => {
    await driver.stop(AbortSignal.timeout(5000));
    await sim.stop();
    await pty.close();
  });

  const rtu = (id: string, unitId: number) => ({
    id,
    unitId,
    connection: { transport: 'rtu' as const, path: pty.gateway, baudRate: 115_200 },
    intervalMs: 200,
    timeoutMs: 200,
    breaker: { failCycles: 2, backoffMs: 500, maxBackoffMs: 1000 },
  });

  it('polls three units on one line and writes with read-back', async () => {
    await driver.addDevice(await deviceFromProfile('modbus-env-sensor', rtu('env-7', 7)));
    await driver.addDevice(await deviceFromProfile('modbus-people-counter', rtu('pc-8', 8)));
    await driver.addDevice(await deviceFromProfile('modbus-water-level', rtu('wl-9', 9)));
    await ctx.until(
      () => ['env-7', 'pc-8', 'wl-9'].every((d) => ctx.lastStatus(d)?.status === 'online') && last(ctx, 'wl-9', 'level') !== undefined,
      10_000,
      'three units online',
    );
    expect(last(ctx, 'env-7', 'humidity')!.quality).toBeUndefined();
    expect(last(ctx, 'pc-8', 'in')!.raw).toBeGreaterThan(4_000_000_000);
    await driver.write('wl-9', 'high-threshold', 1234);
    expect(sim.device('wl-9').map.words['holding-register'][10]).toBe(1234);
  });

  it('a dead unit on the line goes offline; the others stay good and cost it one timeout per cycle', async () => {
    sim.device('pc-8').setFaults({ noAnswer: true });
    await driver.addDevice(await deviceFromProfile('modbus-env-sensor', rtu('env-7', 7)));
    await driver.addDevice(await deviceFromProfile('modbus-people-counter', rtu('pc-8', 8)));
    await driver.addDevice(await deviceFromProfile('modbus-water-level', rtu('wl-9', 9)));
    await ctx.until(() => ctx.lastStatus('pc-8')?.status === 'offline', 10_000, 'pc-8 offline');
    expect(ctx.lastStatus('pc-8')!.error).toMatch(/^no answer in 200 ms from discrete input 1 on unit 8 @ .*gateway \(2 cycles without an answer\)$/);
    // One request of pc-8 per cycle reached the line (its input registers were not tried): 2 cycles → 2 timeouts.
    expect(driver.stats('pc-8').errors.timeout).toBe(2);
    const before = samplesOf(ctx, 'wl-9', 'level').length;
    await ctx.until(() => samplesOf(ctx, 'wl-9', 'level').length >= before + 3, 10_000, 'wl-9 keeps polling');
    expect(last(ctx, 'wl-9', 'level')!.quality).toBeUndefined();
    expect(ctx.lastStatus('env-7')!.status).toBe('online');

    sim.device('pc-8').clearFaults();
    await ctx.until(() => ctx.lastStatus('pc-8')?.status === 'online', 10_000, 'pc-8 back');
  });
});
