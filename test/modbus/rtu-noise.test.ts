import { execFile } from 'node:child_process';
import { readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventEmitter } from 'node:events';
import { ModbusDriver } from '../../drivers/modbus/modbus-driver.js';
import { ModbusSerialLink } from '../../drivers/modbus/modbus-link.js';
import { type ModbusDeviceConfig, modbusDeviceSchema } from '../../drivers/modbus/schema.js';
import type { RawSample } from '../../gateway/devices/driver.js';
import { type Corruption, NoisyLine } from '../../simulators/modbus/noisy-line.js';
import { RecordingContext } from '../helpers/recording-context.js';
import { samplesOf } from './helpers.js';
import { type PymodbusServer, startPymodbus } from './peers/pymodbus.js';

const run = promisify(execFile);

/**
 * An RTU line whose slave is not ours (Debian python3-pymodbus, units 7 and 8) behind a relay that
 * breaks answers on demand (simulators/modbus/noisy-line.ts): a bad frame fails that one request,
 * the line is flushed and reused (the port is never re-opened, one descriptor stays), the other
 * unit is not affected, and after a burst of noise the line is back within one poll cycle.
 */
describe('RTU line with noise, against pymodbus', () => {
  let line: NoisyLine;
  let slave: PymodbusServer;
  let ctx: RecordingContext;
  let driver: ModbusDriver;

  const INTERVAL = 200;
  const device = (id: string, unitId: number): ModbusDeviceConfig =>
    modbusDeviceSchema.parse({
      id,
      kind: 'modbus',
      driver: 'modbus',
      unitId,
      connection: { transport: 'rtu', path: line.gateway, baudRate: 115_200 },
      intervalMs: INTERVAL,
      timeoutMs: 300,
      // One try per request: each broken answer fails exactly one read.
      retries: 0,
      breaker: { failCycles: 3, backoffMs: 1000, maxBackoffMs: 2000 },
      points: Array.from({ length: 10 }, (_, i) => ({ name: `r${i}`, table: 'holding-register', address: i })),
    });
  const good = (s: RawSample) => s.quality === undefined;
  const descriptors = () => descriptorsOn(line.gateway);
  /** Waits until both units have `n` more cycles (r0 samples) than now. */
  const cycles = async (n: number, what: string) => {
    const a = samplesOf(ctx, 'u7', 'r0').length;
    const b = samplesOf(ctx, 'u8', 'r0').length;
    await ctx.until(() => samplesOf(ctx, 'u7', 'r0').length >= a + n && samplesOf(ctx, 'u8', 'r0').length >= b + n, 20_000, what);
  };

  beforeAll(async () => {
    line = await NoisyLine.open();
    slave = await startPymodbus('rtu', line.device);
    ctx = new RecordingContext();
    driver = new ModbusDriver();
    await driver.start(ctx);
    await driver.addDevice(device('u7', 7));
    await driver.addDevice(device('u8', 8));
    await ctx.until(() => ctx.lastStatus('u7')?.status === 'online' && ctx.lastStatus('u8')?.status === 'online', 20_000, 'both units online');
    await cycles(2, 'two good cycles');
  });

  afterAll(async () => {
    await driver?.stop(AbortSignal.timeout(5000));
    await slave?.stop();
    await line?.close();
  });

  it('reads the pymodbus map through the quiet relay', () => {
    const u7 = samplesOf(ctx, 'u7').filter(good);
    expect(u7.find((s) => s.point === 'r3')!.raw).toBe(103);
    expect(descriptors()).toBe(1);
  });

  const kinds: Array<[Corruption, RegExp]> = [
    ['crc', /^garbled answer \(CRC error\) from holding 1-10 on unit [78] @ /],
    ['short', /^garbled answer \((CRC error|Data length error, expected \d+ got \d+)\) from holding 1-10 on unit [78] @ /],
    ['noise', /^garbled answer \(CRC error\) from holding 1-10 on unit [78] @ /],
    // Noise instead of the answer is dropped: the request times out (unless the noise happens to look like an answer).
    ['only-noise', /^(no answer in 300 ms from|garbled answer \((CRC error|Data length error, expected \d+ got \d+)\) from) holding 1-10 on unit [78] @ /],
  ];
  for (const [kind, error] of kinds) {
    it(`one ${kind} answer fails that one read; the line is reused and the next cycle is good`, async () => {
      const start = ctx.recorded.samples.length;
      line.corrupt(kind, 1);
      await ctx.until(() => ctx.recorded.samples.slice(start).some((s) => s.quality === 'bad'), 10_000, 'the broken read');
      await cycles(2, 'two more cycles');
      const after = ctx.recorded.samples.slice(start);
      const bad = after.filter((s) => !good(s));
      // Exactly one read (10 points of one unit) failed, with a clear error.
      expect(bad).toHaveLength(10);
      expect(new Set(bad.map((s) => s.device)).size).toBe(1);
      expect(bad[0]!.error).toMatch(error);
      // Both units stayed online and their latest values are good; the port was never re-opened.
      expect(ctx.recorded.statuses.filter((s) => s.status !== 'online')).toEqual([]);
      expect(good(samplesOf(ctx, 'u7', 'r9').at(-1)!) && good(samplesOf(ctx, 'u8', 'r9').at(-1)!)).toBe(true);
      expect(descriptors()).toBe(1);
    });
  }

  it('answers followed by garbage, and noise between frames (or before an answer), cost no read at all', async () => {
    const start = ctx.recorded.samples.length;
    line.corrupt('trailing-garbage', 4);
    for (let i = 0; i < 5; i++) {
      // Noise that holds no answer of unit 7 or 8; it may land on an idle line or while a
      // request waits for its answer: either way it is dropped.
      line.inject(Buffer.from([0xff, 0x00, 0x55, 0xaa, 0x13, 0xfe]));
      await cycles(1, 'a cycle with garbage');
    }
    expect(line.broken).toBeGreaterThanOrEqual(4);
    expect(
      ctx.recorded.samples
        .slice(start)
        .filter((s) => !good(s))
        .map((s) => s.error),
    ).toEqual([]);
  });

  it('a burst of broken answers puts both units in error; after it the line is back within one poll cycle', async () => {
    const start = ctx.recorded.statuses.length;
    line.noisy('crc');
    await ctx.until(() => ['u7', 'u8'].every((d) => ctx.lastStatus(d)?.status === 'error'), 20_000, 'both in error');
    expect(ctx.lastStatus('u7')!.error).toMatch(/^garbled answer \(CRC error\) from holding 1-10 on unit 7 @ .* \(3 cycles without a valid read\)$/);
    const brokenBefore = line.broken;
    // The noise goes on for a while: many more broken answers, and still one descriptor.
    await ctx.until(() => line.broken >= brokenBefore + 10, 20_000, 'ten more broken answers');
    expect(descriptors()).toBe(1);

    line.quiet();
    const quietAt = { u7: samplesOf(ctx, 'u7', 'r0').length, u8: samplesOf(ctx, 'u8', 'r0').length };
    await ctx.until(() => ['u7', 'u8'].every((d) => ctx.lastStatus(d)?.status === 'online'), 10_000, 'both online again');
    for (const d of ['u7', 'u8'] as const) {
      const since = samplesOf(ctx, d, 'r0').slice(quietAt[d]);
      // At most the cycle already on the line when the noise stopped is bad; the next one is good.
      const firstGood = since.findIndex(good);
      expect(firstGood).toBeGreaterThanOrEqual(0);
      expect(firstGood).toBeLessThanOrEqual(1);
    }
    // One report per change: error once, online once, for each unit.
    expect(
      ctx.recorded.statuses
        .slice(start)
        .map((s) => `${s.device}:${s.status}`)
        .sort(),
    ).toEqual(['u7:error', 'u7:online', 'u8:error', 'u8:online']);
    expect(descriptors()).toBe(1);
  });
});

/** Descriptors this process holds on a pty (the issue saw a leaked one). */
function descriptorsOn(path: string): number {
  const tty = realpathSync(path);
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === tty;
    } catch {
      return false;
    }
  }).length;
}

describe('re-opening a serial port', () => {
  it('a port that failed is re-opened only once the old one is closed (no "Cannot lock port"), and closing lets go of it', async () => {
    const line = await NoisyLine.open();
    const slave = await startPymodbus('rtu', line.device);
    const link = new ModbusSerialLink({ transport: 'rtu', path: line.gateway, baudRate: 115_200, parity: 'none', dataBits: 8, stopBits: 1 });
    try {
      expect(await link.readRegisters(7, 'holding-register', 0, 2, 1000)).toEqual([100, 101]);
      for (let i = 0; i < 5; i++) {
        // The port reports an I/O error (an adapter unplugged for a moment): the link drops it,
        // and the very next request re-opens the tty while the old close is still under way.
        (link as unknown as { port: EventEmitter }).port.emit('error', new Error('EIO'));
        expect(await link.readRegisters(8, 'holding-register', 2, 2, 1000)).toEqual([102, 103]);
        expect(descriptorsOn(line.gateway)).toBe(1);
      }
    } finally {
      await link.close();
      expect(descriptorsOn(line.gateway)).toBe(0);
      await slave.stop();
      await line.close();
    }
  });
});

/** mbpoll (Debian), an RTU master we did not write, through the same relay: it is transparent when quiet and its breakage is what a real master sees. */
describe('the noisy relay, seen by mbpoll', () => {
  it('mbpoll reads pymodbus through the relay, and reports the CRC error the relay makes', async () => {
    const line = await NoisyLine.open();
    const slave = await startPymodbus('rtu', line.device);
    try {
      const args = ['-m', 'rtu', '-a', '7', '-b', '115200', '-P', 'none', '-t', '4', '-r', '1', '-c', '10', '-1', '-o', '1', line.gateway];
      const ok = await run('mbpoll', args);
      expect(ok.stdout).toMatch(/\[1\]:\s+100\n/);
      expect(ok.stdout).toMatch(/\[10\]:\s+109\n/);
      line.corrupt('crc', 1);
      const broken = await run('mbpoll', args).then(
        (r) => r.stdout + r.stderr,
        (e: { stdout: string; stderr: string }) => e.stdout + e.stderr,
      );
      expect(broken).toMatch(/CRC|Invalid/i);
      expect(line.broken).toBe(1);
    } finally {
      await slave.stop();
      await line.close();
    }
  });
});
