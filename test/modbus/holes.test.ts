import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModbusDriver } from '../../drivers/modbus/modbus-driver.js';
import { modbusDeviceSchema } from '../../drivers/modbus/schema.js';
import { type ModbusSimulator, startModbusSimulator } from '../../simulators/modbus/simulator.js';
import { RecordingContext } from '../helpers/recording-context.js';
import { last, samplesOf } from './helpers.js';
import { type PymodbusServer, startPymodbus } from './peers/pymodbus.js';

/** Points at holding 100, 101, 102, 104, 105, 106, 108: one coalesced block 100..108 (gapFill 16). */
const POINTS = [100, 101, 102, 104, 105, 106, 108].map((a) => ({ name: `r${a}`, table: 'holding-register' as const, address: a }));

const device = (id: string, port: number, unitId: number, reprobeMs = 600_000) =>
  modbusDeviceSchema.parse({
    id,
    kind: 'modbus',
    driver: 'modbus',
    unitId,
    connection: { transport: 'tcp', host: '127.0.0.1', port },
    intervalMs: 100,
    timeoutMs: 1000,
    blocks: { reprobeMs },
    points: POINTS,
  });

/** Requests the driver made for a device during `n` more cycles. */
async function requestsOver(driver: ModbusDriver, id: string, n: number): Promise<number> {
  const s0 = driver.stats(id);
  const started = s0.cycles;
  await new Promise<void>((resolve, reject) => {
    const t0 = performance.now();
    const check = () => {
      if (driver.stats(id).cycles >= started + n) resolve();
      else if (performance.now() - t0 > 20_000) reject(new Error('cycles did not come'));
      else setTimeout(check, 10);
    };
    check();
  });
  return driver.stats(id).requests - s0.requests;
}

describe('hole-aware planner against pymodbus (holes at 103 and 107)', () => {
  let peer: PymodbusServer;
  let ctx: RecordingContext;
  let driver: ModbusDriver;

  beforeAll(async () => {
    peer = await startPymodbus('tcp');
    ctx = new RecordingContext();
    driver = new ModbusDriver();
    await driver.start(ctx);
  });
  afterAll(async () => {
    await driver?.stop(AbortSignal.timeout(5000));
    await peer?.stop();
  });

  it('learns the holes once, then reads 3 blocks per cycle with every value good', async () => {
    await driver.addDevice(device('p7', peer.port, 7));
    await ctx.until(() => ctx.lastStatus('p7')?.status === 'online', 10_000, 'online');
    expect(driver.plan('p7')[0]!.blocks.map((b) => `${b.start}+${b.count}`)).toEqual(['100+3', '104+3', '108+1']);
    // Already the learning cycle reported every point with its value.
    for (const p of POINTS) expect(samplesOf(ctx, 'p7', p.name)[0]).toMatchObject({ raw: 7000 + p.address });
    expect(await requestsOver(driver, 'p7', 5)).toBe(15);
    expect(driver.stats('p7').errors.exception).toBe(3); // the refused 100..108, 104..108 and 106..108, once each
    for (const p of POINTS) expect(last(ctx, 'p7', p.name)).toMatchObject({ raw: 7000 + p.address });
  });

  it('a point on a hole is read alone and reported bad with exception 2; its neighbours join up', async () => {
    const points = [...POINTS, { name: 'r103', table: 'holding-register' as const, address: 103 }];
    await driver.addDevice({ ...device('p8', peer.port, 8), points: modbusDeviceSchema.shape.points.parse(points) });
    await ctx.until(() => last(ctx, 'p8', 'r103') !== undefined, 10_000, 'a cycle');
    expect(driver.plan('p8')[0]!.blocks.map((b) => `${b.start}+${b.count}`)).toEqual(['100+3', '103+1', '104+3', '108+1']);
    expect(last(ctx, 'p8', 'r103')).toMatchObject({ quality: 'bad', raw: null });
    expect(last(ctx, 'p8', 'r103')!.error).toMatch(/^modbus exception 2 \(illegal data address\) at holding 104 on unit 8 @ /);
    expect(last(ctx, 'p8', 'r102')).toMatchObject({ raw: 8102 });
    // Some good reads in each cycle: the device stays online.
    expect(ctx.lastStatus('p8')?.status).toBe('online');
  });
});

describe('re-probing the merged block (simulator: holes that a firmware update closes)', () => {
  let sim: ModbusSimulator;
  beforeAll(async () => {
    sim = await startModbusSimulator({ devices: [{ id: 'pm', model: 'power-meter' }] });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('tries the whole block again every reprobeMs: still refused → the learned parts, no new learning; accepted → one read again', async () => {
    const ctx = new RecordingContext();
    const driver = new ModbusDriver();
    await driver.start(ctx);
    try {
      sim.device('pm').setFaults({ holes: [{ table: 'holding-register', address: 6 }] });
      const pm = modbusDeviceSchema.parse({
        id: 'pm',
        kind: 'modbus',
        driver: 'modbus',
        connection: { transport: 'tcp', host: '127.0.0.1', port: sim.ports.pm! },
        intervalMs: 100,
        blocks: { reprobeMs: 1000 },
        points: [0, 2, 4, 6, 8, 10].map((a) => ({ name: `f${a}`, table: 'holding-register', address: a, type: 'float32' })),
      });
      await driver.addDevice(pm);
      const plan = () => driver.plan('pm')[0]!.blocks.map((b) => `${b.start}+${b.count}`);
      await ctx.until(() => plan().length === 3, 10_000, 'holes learned');
      expect(plan()).toEqual(['0+6', '6+2', '8+4']);
      // 15 cycles (1.5 s) hold one or two re-probes: each costs one request (the refused merged
      // block) on top of the 3 parts; learning again would cost 4 more.
      const extra = (await requestsOver(driver, 'pm', 15)) - 15 * 3;
      expect(extra).toBeGreaterThanOrEqual(1);
      expect(extra).toBeLessThanOrEqual(3);
      expect(plan()).toEqual(['0+6', '6+2', '8+4']);

      sim.device('pm').clearFaults();
      await ctx.until(() => plan().length === 1, 20_000, 'block whole again');
      expect(plan()).toEqual(['0+12']);
      expect(last(ctx, 'pm', 'f6')!.quality).toBeUndefined();
    } finally {
      await driver.stop(AbortSignal.timeout(5000));
    }
  });
});
