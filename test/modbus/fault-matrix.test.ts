import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModbusDriver } from '../../drivers/modbus/modbus-driver.js';
import type { Faults } from '../../simulators/modbus/faults.js';
import { startModbusSimulator, type ModbusSimulator } from '../../simulators/modbus/simulator.js';
import { RecordingContext } from '../helpers/recording-context.js';
import { deviceFromProfile, last, sleep } from './helpers.js';

/**
 * Each fault on one device, while two healthy devices on other connections keep polling:
 * the faulty device's points get the right quality and error text, its status the right
 * transitions, and the healthy devices lose no cycles (no overruns, still polling).
 */
interface Case {
  name: string;
  faults: Faults;
  /** The error every point of the faulty device gets. */
  error: RegExp;
  /** offline: no answer at all; error: it answers, but not one valid read (docs/modbus.md, device status). */
  status: 'offline' | 'error';
}

const WHERE = String.raw`input 1-6 on unit 1 @ 127\.0\.0\.1:\d+`;
const CASES: Case[] = [
  { name: 'no answer', faults: { noAnswer: true }, error: new RegExp(`^no answer in 150 ms from ${WHERE}$`), status: 'offline' },
  { name: 'slow answer (beyond the timeout)', faults: { delayMs: 400 }, error: new RegExp(`^no answer in 150 ms from ${WHERE}$`), status: 'offline' },
  { name: 'exception 4', faults: { exception: 4 }, error: new RegExp(`^modbus exception 4 \\(server device failure\\) at ${WHERE}$`), status: 'error' },
  { name: 'exception 6', faults: { exception: 6 }, error: new RegExp(`^modbus exception 6 \\(server device busy\\) at ${WHERE}$`), status: 'error' },
  {
    name: 'garbled frame',
    faults: { garbled: true },
    error: new RegExp(`^garbled answer \\(Unexpected data error, expected code 4 got \\d+\\) from ${WHERE}$`),
    status: 'error',
  },
  {
    name: 'short frame',
    faults: { short: true },
    error: new RegExp(`^garbled answer \\(Data length error, expected \\d+ got \\d+\\) from ${WHERE}$`),
    status: 'error',
  },
  { name: 'dropped connection', faults: { drop: true }, error: new RegExp(`^connection problem \\(.*\\) at ${WHERE}$`), status: 'offline' },
];

describe('fault matrix', () => {
  let sim: ModbusSimulator;

  beforeAll(async () => {
    sim = await startModbusSimulator({
      devices: [
        { id: 'faulty', model: 'env-sensor' },
        { id: 'healthy-a', model: 'power-meter' },
        { id: 'healthy-b', model: 'water-level' },
      ],
    });
  });
  afterAll(async () => {
    await sim.stop();
  });

  for (const c of CASES) {
    it(`${c.name}: quality, error text and status; other devices keep their rate`, async () => {
      const ctx = new RecordingContext();
      const driver = new ModbusDriver();
      await driver.start(ctx);
      try {
        const common = { intervalMs: 100, timeoutMs: 150, retries: 0, breaker: { failCycles: 2, backoffMs: 200, maxBackoffMs: 400 } };
        const on = (id: string) => ({ id, connection: { transport: 'tcp' as const, host: '127.0.0.1', port: sim.ports[id]! }, ...common });
        // Only the default group (input registers 0..5) of the env sensor, so the cycle is one request.
        const env = await deviceFromProfile('modbus-env-sensor', on('faulty'));
        await driver.addDevice({ ...env, points: env.points.filter((p) => p.poll.group === 'default') });
        await driver.addDevice(await deviceFromProfile('modbus-power-meter', on('healthy-a')));
        await driver.addDevice(await deviceFromProfile('modbus-water-level', on('healthy-b')));
        await ctx.until(() => ctx.lastStatus('faulty')?.status === 'online', 30_000, 'faulty device online');

        sim.device('faulty').setFaults(c.faults);
        const cyclesBefore = driver.stats('healthy-a').cycles;
        const started = Date.now();
        await ctx.until(() => ctx.lastStatus('faulty')?.status === c.status, 10_000, c.status);
        await sleep(300);
        const elapsed = Date.now() - started;

        const temperature = last(ctx, 'faulty', 'temperature')!;
        expect(temperature.quality).toBe('bad');
        expect(temperature.raw).toBeNull();
        expect(temperature.error).toMatch(c.error);
        const status = ctx.lastStatus('faulty')!;
        // One report per change: online once, then offline or error once.
        expect(ctx.recorded.statuses.filter((x) => x.device === 'faulty').map((x) => x.status)).toEqual(['online', c.status]);
        if (c.status === 'offline') {
          expect(status.error).toMatch(/\(2 cycles without an answer\)$/);
        } else {
          // It answers, but nothing useful: error with the reason; the breaker stays closed.
          expect(status.error).toMatch(new RegExp(`${c.error.source.slice(1, -1)} \\(2 cycles without a valid read\\)$`));
          expect(driver.stats('faulty').status).toBe('error');
        }

        // The healthy devices on other connections went on at their pace: no overrun, all good.
        for (const id of ['healthy-a', 'healthy-b']) {
          // A stalled device would overrun every cycle; a loaded box may overrun a few on its own
          // (seen: 2 in 10 cycles at load average 15).
          expect(driver.stats(id).overruns).toBeLessThanOrEqual(Math.ceil(driver.stats(id).cycles / 4) + 1);
          expect(ctx.lastStatus(id)!.status).toBe('online');
          expect(last(ctx, id, id === 'healthy-a' ? 'voltage' : 'level')!.quality).toBeUndefined();
        }
        // Half the nominal cycle count is a loose floor on a shared 2-core box; the point is that
        // the faulty device's timeouts did not stall them.
        expect(driver.stats('healthy-a').cycles - cyclesBefore).toBeGreaterThanOrEqual(Math.floor(elapsed / 100 / 2));

        // Recovery: the fault cleared, the device is online again and its values good.
        sim.device('faulty').clearFaults();
        await ctx.until(() => last(ctx, 'faulty', 'temperature')?.quality === undefined && ctx.lastStatus('faulty')?.status === 'online', 10_000, 'recovery');
      } finally {
        await driver.stop(AbortSignal.timeout(5000));
      }
    });
  }

  it('a slow answer within the timeout is good and shows in the round-trip time', async () => {
    const ctx = new RecordingContext();
    const driver = new ModbusDriver();
    await driver.start(ctx);
    try {
      sim.device('faulty').setFaults({ delayMs: 60 });
      const env = await deviceFromProfile('modbus-env-sensor', {
        id: 'faulty',
        connection: { transport: 'tcp', host: '127.0.0.1', port: sim.ports.faulty! },
        intervalMs: 100,
        timeoutMs: 500,
      });
      await driver.addDevice(env);
      await ctx.until(() => last(ctx, 'faulty', 'temperature') !== undefined, 10_000, 'a sample');
      expect(last(ctx, 'faulty', 'temperature')!.quality).toBeUndefined();
      expect(driver.stats('faulty').rtt.max).toBeGreaterThanOrEqual(55);
    } finally {
      sim.device('faulty').clearFaults();
      await driver.stop(AbortSignal.timeout(5000));
    }
  });
});

describe('a device nobody listens for', () => {
  it('gets connection errors, goes offline, and its neighbours on other connections go on', async () => {
    const { createServer } = await import('node:net');
    // A port that was free a moment ago: connecting to it is refused.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));

    const sim = await startModbusSimulator({ devices: [{ id: 'ok', model: 'water-level' }] });
    const ctx = new RecordingContext();
    const driver = new ModbusDriver();
    await driver.start(ctx);
    try {
      const common = { intervalMs: 100, timeoutMs: 150, retries: 0, breaker: { failCycles: 2, backoffMs: 200, maxBackoffMs: 400 } };
      await driver.addDevice(
        await deviceFromProfile('modbus-env-sensor', { id: 'gone', connection: { transport: 'tcp', host: '127.0.0.1', port }, ...common }),
      );
      await driver.addDevice(
        await deviceFromProfile('modbus-water-level', { id: 'ok', connection: { transport: 'tcp', host: '127.0.0.1', port: sim.ports.ok! }, ...common }),
      );
      await ctx.until(() => ctx.lastStatus('gone')?.status === 'offline' && ctx.lastStatus('ok')?.status === 'online', 10_000, 'gone offline, ok online');
      expect(ctx.lastStatus('gone')!.error).toMatch(
        new RegExp(
          `^connection problem \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\) at .* on unit 1 @ 127\\.0\\.0\\.1:${port} \\(2 cycles without an answer\\)$`,
        ),
      );
      expect(driver.stats('gone').errors.connection).toBeGreaterThan(0);
      expect(ctx.lastStatus('ok')!.status).toBe('online');
      expect(driver.stats('ok').overruns).toBeLessThanOrEqual(Math.ceil(driver.stats('ok').cycles / 10));
      await expect(driver.write('gone', 'pm25-alarm-level', 5)).rejects.toMatchObject({ code: 'E_MODBUS_DEVICE_OFFLINE' });
    } finally {
      await driver.stop(AbortSignal.timeout(5000));
      await sim.stop();
    }
  });
});
