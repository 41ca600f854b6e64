import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModbusDriver } from '../../drivers/modbus/modbus-driver.js';
import { startModbusSimulator, type ModbusSimulator } from '../../simulators/modbus/simulator.js';
import { RecordingContext } from '../helpers/recording-context.js';
import { deviceFromProfile, last, samplesOf } from './helpers.js';

describe('modbus driver over TCP against the simulator', () => {
  let sim: ModbusSimulator;
  let driver: ModbusDriver;
  let ctx: RecordingContext;

  beforeEach(async () => {
    sim = await startModbusSimulator({
      devices: [
        { id: 'env-1', model: 'env-sensor', server: 'gw', unitId: 1 },
        { id: 'pm-1', model: 'power-meter', server: 'gw', unitId: 2 },
        { id: 'pc-1', model: 'people-counter', unitId: 3 },
        { id: 'wl-1', model: 'water-level', unitId: 4 },
        { id: 'pm3-1', model: 'power-meter-3p', unitId: 1 },
        { id: 'rs-1', model: 'rs485-people-counter', unitId: 9, transport: 'rtu-over-tcp' },
      ],
    });
    ctx = new RecordingContext();
    driver = new ModbusDriver();
    await driver.start(ctx);
  });

  afterEach(async () => {
    await driver.stop(AbortSignal.timeout(5000));
    await sim.stop();
  });

  const tcp = (id: string, extra: Record<string, unknown> = {}) => ({
    id,
    connection: { transport: 'tcp' as const, host: '127.0.0.1', port: sim.ports[id]! },
    intervalMs: 100,
    ...extra,
  });

  it('polls two unit ids sharing one connection and decodes their values', async () => {
    await driver.addDevice(await deviceFromProfile('modbus-env-sensor', { ...tcp('env-1'), unitId: 1 }));
    await driver.addDevice(await deviceFromProfile('modbus-power-meter', { ...tcp('pm-1'), unitId: 2 }));
    // Every point checked below: the poll groups start in phase slots of their own, in any order.
    const checked: Array<[string, string]> = [
      ['env-1', 'temperature'],
      ['env-1', 'pm25-alarm-level'],
      ['env-1', 'sensor-fault'],
      ['pm-1', 'voltage'],
      ['pm-1', 'relay'],
      ['pm-1', 'energy'],
    ];
    await ctx.until(() => checked.every(([device, point]) => last(ctx, device, point) !== undefined), 10_000, 'first samples of every checked point');

    const temperature = last(ctx, 'env-1', 'temperature')!;
    expect(temperature.quality).toBeUndefined();
    // raw tenths of a degree (the core applies scale 0.1)
    expect(temperature.raw).toBeGreaterThan(150);
    expect(temperature.raw).toBeLessThan(290);
    expect(last(ctx, 'env-1', 'pm25-alarm-level')!.raw).toBe(75);
    expect(typeof last(ctx, 'env-1', 'sensor-fault')!.raw).toBe('boolean');
    // float32 CDAB decoded by the driver
    const volts = last(ctx, 'pm-1', 'voltage')!.raw as number;
    expect(volts).toBeGreaterThan(221);
    expect(volts).toBeLessThan(239);
    expect(last(ctx, 'pm-1', 'relay')!.raw).toBe(true);
    expect(ctx.recorded.statuses.filter((s) => s.device === 'pm-1')).toEqual([{ device: 'pm-1', status: 'online' }]);
    const stats = driver.stats('pm-1');
    expect(stats.requests).toBeGreaterThan(0);
    expect(stats.errors.timeout).toBe(0);
    expect(stats.online).toBe(true);
  });

  it('reads a 100-point meter in 7 requests (3 for its 1 s points)', async () => {
    await driver.addDevice(await deviceFromProfile('power-meter-3p', tcp('pm3-1')));
    const plan = driver.plan('pm3-1');
    const blocks = plan.flatMap((g) => g.blocks);
    expect(blocks.length).toBe(7);
    expect(plan.find((g) => g.group === 'default')!.blocks.length).toBe(3);
    await ctx.until(() => samplesOf(ctx, 'pm3-1').length >= 100, 10_000, '100 samples');
    expect(new Set(samplesOf(ctx, 'pm3-1').map((s) => s.point)).size).toBe(100);
    expect(last(ctx, 'pm3-1', 'serial-number')!.raw).toBe(21_050_042);
    expect(driver.stats('pm3-1').pointsPerRequest).toBeGreaterThan(10);
  });

  it('keeps several requests in flight for a TCP device that allows it', async () => {
    await driver.addDevice(await deviceFromProfile('power-meter-3p', { ...tcp('pm3-1'), maxInFlight: 4 }));
    await ctx.until(() => samplesOf(ctx, 'pm3-1').length >= 200, 10_000, 'two cycles');
    expect(samplesOf(ctx, 'pm3-1').filter((s) => s.quality === 'bad')).toEqual([]);
    expect(driver.stats('pm3-1').errors.badFrame).toBe(0);
  });

  it('reads Modicon-addressed points and strings over RTU over TCP', async () => {
    await driver.addDevice(
      await deviceFromProfile('rs485-people-counter', {
        id: 'rs-1',
        unitId: 9,
        connection: { transport: 'rtu-over-tcp', host: '127.0.0.1', port: sim.ports['rs-1']! },
        intervalMs: 100,
      }),
    );
    await ctx.until(() => last(ctx, 'rs-1', 'model') !== undefined && last(ctx, 'rs-1', 'in-total') !== undefined, 10_000, 'samples');
    expect(last(ctx, 'rs-1', 'model')!.raw).toBe('PC-3D-200');
    expect(last(ctx, 'rs-1', 'firmware')!.raw).toBe(312);
    expect(last(ctx, 'rs-1', 'in-total')!.raw).toBeGreaterThanOrEqual(182_340);
  });

  it('learns the hole of a block refused with exception 02: the largest valid reads around it, the missing register named', async () => {
    sim.device('pm-1').setFaults({ holes: [{ table: 'holding-register', address: 6 }] });
    await driver.addDevice(await deviceFromProfile('modbus-power-meter', { ...tcp('pm-1'), unitId: 2 }));
    await ctx.until(() => samplesOf(ctx, 'pm-1', 'power-factor').length >= 2, 10_000, 'two cycles');
    const pf = last(ctx, 'pm-1', 'power-factor')!;
    expect(pf.quality).toBe('bad');
    expect(pf.error).toBe(`modbus exception 2 (illegal data address) at holding 7-8 on unit 2 @ 127.0.0.1:${sim.ports['pm-1']}`);
    expect(last(ctx, 'pm-1', 'voltage')!.quality).toBeUndefined();
    expect(last(ctx, 'pm-1', 'energy')!.quality).toBeUndefined();
    const holding = driver
      .plan('pm-1')
      .flatMap((g) => g.blocks)
      .filter((b) => b.table === 'holding-register');
    // 3 reads instead of the 6 a point-by-point split would make: 0-5, the point on the hole alone, 8-11.
    expect(holding.map((b) => `${b.start}+${b.count}`)).toEqual(['0+6', '6+2', '8+4']);
    expect(ctx.lastStatus('pm-1')).toMatchObject({ status: 'online' });
  });

  it('handles a 32-bit counter wrap as a continuous total', async () => {
    await driver.addDevice(await deviceFromProfile('modbus-people-counter', { ...tcp('pc-1'), unitId: 3 }));
    await ctx.until(() => last(ctx, 'pc-1', 'in') !== undefined, 10_000, 'first sample');
    sim.device('pc-1').setValue('in', 4_294_967_294);
    await ctx.until(() => ((last(ctx, 'pc-1', 'in')?.raw as number) ?? 0) >= 4_294_967_296, 15_000, 'the wrap');
    const values = samplesOf(ctx, 'pc-1', 'in').map((s) => s.raw as number);
    for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThanOrEqual(values[i - 1]!);
  });

  it('writes with read-back: register, coil, bit of a register; refuses bad values', async () => {
    const base = await deviceFromProfile('modbus-water-level', { ...tcp('wl-1'), unitId: 4 });
    await driver.addDevice({
      ...base,
      points: [
        ...base.points,
        {
          ...base.points[0]!,
          name: 'flag',
          address: 2,
          table: 'holding-register',
          type: 'bit',
          bit: 5,
          writable: {},
          deadband: undefined,
          unit: undefined,
          scale: 1,
        },
      ],
    });
    await driver.write('wl-1', 'high-threshold', 1800);
    expect(sim.device('wl-1').map.words['holding-register'][10]).toBe(1800);
    await driver.write('wl-1', 'pump', true);
    expect(sim.device('wl-1').map.bits.coil[0]).toBe(1);
    await driver.write('wl-1', 'flag', true);
    expect(sim.device('wl-1').map.words['holding-register'][2]! & 0x20).toBe(0x20);
    await driver.write('wl-1', 'flag', 0);
    expect(sim.device('wl-1').map.words['holding-register'][2]! & 0x20).toBe(0);
    expect((await driver.read('wl-1', 'high-threshold')).raw).toBe(1800);

    await expect(driver.write('wl-1', 'high-threshold', 70_000)).rejects.toMatchObject({
      code: 'E_MODBUS_BAD_WRITE',
      message: expect.stringMatching(/<=65535/),
    });
    await expect(driver.write('wl-1', 'level', 1)).rejects.toMatchObject({ code: 'E_MODBUS_BAD_WRITE', message: expect.stringMatching(/not writable/) });
    await expect(driver.write('wl-1', 'nope', 1)).rejects.toMatchObject({ code: 'E_MODBUS_UNKNOWN_POINT' });
    await expect(driver.write('nobody', 'level', 1)).rejects.toMatchObject({ code: 'E_MODBUS_UNKNOWN_DEVICE' });
  });

  it('reports a write the device refuses, with the exception and where', async () => {
    await driver.addDevice(await deviceFromProfile('modbus-water-level', { ...tcp('wl-1'), unitId: 4 }));
    sim.device('wl-1').setFaults({ holes: [{ table: 'holding-register', address: 10 }] });
    await expect(driver.write('wl-1', 'high-threshold', 5)).rejects.toMatchObject({
      code: 'E_MODBUS_EXCEPTION',
      message: `modbus exception 2 (illegal data address) at holding 11 on unit 4 @ 127.0.0.1:${sim.ports['wl-1']}`,
    });
  });

  it('switches poll intervals with the site mode', async () => {
    await driver.addDevice(await deviceFromProfile('modbus-env-sensor', { ...tcp('env-1'), unitId: 1 }));
    const interval = (group: string) => driver.plan('env-1').find((g) => g.group === group)!.intervalMs;
    expect(interval('fast')).toBe(1000);
    expect(interval('default')).toBe(100);
    ctx.setMode('emergency');
    expect(interval('fast')).toBe(250);
    ctx.setMode('normal');
    expect(interval('fast')).toBe(1000);
  });
});
