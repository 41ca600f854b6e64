import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModbusSimulator, startModbusSimulator } from '../../simulators/modbus/simulator.js';
import { type PlatformBroker, startPlatformBroker } from '../../simulators/platform/platform-broker.js';
import { tempDir, testConfig } from '../helpers/gateway-harness.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { PlatformRecorder } from '../helpers/platform.js';

/** Debian `faketime` (libfaketime): the library the gateway process runs under. */
const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

/**
 * The real wall clock of a gateway child process is stepped −1 h and then +1 day (libfaketime
 * with a timestamp file it re-reads on every call; the monotonic clock is left alone, as an NTP
 * step leaves it), while it polls two Modbus devices every 200 ms. The rate is measured at the
 * simulator, in this process (whose clock is not faked): the time it takes each device to be
 * asked 15 more times stays what it was before the step: no stop (the issue saw 0 requests
 * for 15 s after −1 h), no burst.
 */
describe('Modbus polling when the gateway wall clock steps (libfaketime)', () => {
  const tmp = tempDir('gridgate-clock-');
  const timeFile = join(tmp.dir, 'faketime');
  let broker: PlatformBroker;
  let sim: ModbusSimulator;
  let gateway: GatewayProcess;
  let platform: PlatformRecorder;
  const ids = ['meter-1', 'meter-2'];

  beforeAll(async () => {
    expect(existsSync(LIBFAKETIME)).toBe(true);
    writeFileSync(timeFile, '+0\n');
    broker = await startPlatformBroker();
    platform = new PlatformRecorder(broker.url);
    await platform.start();
    sim = await startModbusSimulator({ devices: ids.map((id) => ({ id, model: 'power-meter' as const })) });
    gateway = new GatewayProcess(
      tmp.dir,
      testConfig(broker.url, tmp.dir, {
        devices: ids.map((id) => ({
          id,
          kind: 'modbus',
          driver: 'modbus',
          profile: 'modbus-power-meter',
          connection: { transport: 'tcp', host: '127.0.0.1', port: sim.ports[id]! },
          intervalMs: 200,
        })),
      }),
    );
    gateway.start({ LD_PRELOAD: LIBFAKETIME, FAKETIME_TIMESTAMP_FILE: timeFile, FAKETIME_NO_CACHE: '1', DONT_FAKE_MONOTONIC: '1' });
  });

  afterAll(async () => {
    await gateway?.kill('SIGTERM');
    await sim?.stop();
    await platform?.stop();
    await broker?.stop();
    tmp.cleanup();
  });

  const requests = (id: string) => sim.device(id).requests;
  /** Monotonic ms (in this process) until every device was asked `n` more times; fails after 20 s. */
  const timeFor = async (n: number): Promise<number> => {
    const start = Object.fromEntries(ids.map((id) => [id, requests(id)]));
    const t0 = performance.now();
    while (!ids.every((id) => requests(id) >= start[id]! + n)) {
      if (performance.now() - t0 > 20_000)
        throw new Error(`polling stopped: ${ids.map((id) => `${id} +${requests(id) - start[id]!}`).join(', ')} in 20 s\n${gateway.output.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return performance.now() - t0;
  };

  /** How far the gateway's wall clock is from ours: the stamp of the newest reading minus now (ms). */
  const skew = () => {
    const r = platform
      .readings()
      .filter((x) => ids.includes(x.device))
      .at(-1);
    return r ? Date.parse(r.ts) - Date.now() : Number.NaN;
  };
  const HOUR = 3_600_000;

  it('−1 h and +1 day: every device keeps its rate, readings are stamped with the stepped clock', async () => {
    await platform.until(() => Math.abs(skew()) < 60_000, 20_000, 'readings stamped with the real time');
    const before = await timeFor(15);

    writeFileSync(timeFile, '-1h\n');
    const back = await timeFor(15);
    // The step reached the gateway: its readings are stamped an hour back.
    await platform.until(() => Math.abs(skew() + HOUR) < 60_000, 20_000, 'readings stamped 1 h back');

    writeFileSync(timeFile, '+1d\n');
    const ahead = await timeFor(15);
    await platform.until(() => Math.abs(skew() - 24 * HOUR) < 60_000, 20_000, 'readings stamped 1 day ahead');

    // Nominal: 15 cycles × 200 ms. Generous bounds for a loaded 2-core box, but a stop (the
    // step's length) or a burst (catching up a day of ticks) is far outside them.
    for (const t of [back, ahead]) {
      expect(t).toBeLessThan(before * 2 + 1500);
      expect(t).toBeGreaterThan(before / 2);
    }
    expect(gateway.child!.exitCode).toBeNull();
  });
});
