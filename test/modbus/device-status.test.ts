import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModbusDriver } from '../../drivers/modbus/modbus-driver.js';
import { TypedBus } from '../../gateway/core/bus.js';
import { systemClock } from '../../gateway/core/clock.js';
import { createLogger } from '../../gateway/core/logger.js';
import type { DeviceState } from '../../gateway/core/model.js';
import { DeviceManager } from '../../gateway/devices/device-manager.js';
import type { DriverEvent } from '../../gateway/devices/driver.js';
import type { GatewayBusEvents } from '../../gateway/pipeline/bus-events.js';
import { type ModbusSimulator, startModbusSimulator } from '../../simulators/modbus/simulator.js';
import { deviceFromProfile } from './helpers.js';

/**
 * Device status through the real device manager: a meter that answers only exceptions goes to
 * `error` with the reason and a device.offline event, and back to online (device.online) when
 * it reads again. The log has one line per status change and no key twice in a line.
 */
describe('modbus device status: error after N cycles without a valid read', () => {
  let sim: ModbusSimulator;
  let manager: DeviceManager;
  const states: DeviceState[] = [];
  const events: DriverEvent[] = [];
  const lines: string[] = [];

  beforeAll(async () => {
    sim = await startModbusSimulator({ devices: [{ id: 'meter', model: 'env-sensor' }] });
    const log = createLogger({
      level: 'debug',
      destination: new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(...chunk.toString().split('\n').filter(Boolean));
          done();
        },
      }),
    });
    const bus = new TypedBus<GatewayBusEvents>(log);
    bus.on('device-state', (s) => states.push(s));
    bus.on('driver-event', (e) => events.push(e));
    manager = new DeviceManager({
      drivers: new Map([['modbus', new ModbusDriver()]]),
      bus,
      clock: systemClock,
      log,
      mode: () => 'normal',
      onModeChange: () => () => {},
    });
    const device = await deviceFromProfile('modbus-env-sensor', {
      id: 'meter',
      connection: { transport: 'tcp', host: '127.0.0.1', port: sim.ports.meter! },
      intervalMs: 100,
      timeoutMs: 300,
      breaker: { failCycles: 3, backoffMs: 500, maxBackoffMs: 1000 },
    });
    await manager.start([device]);
  });

  afterAll(async () => {
    await manager?.stop(AbortSignal.timeout(5000));
    await sim?.stop();
  });

  const status = () => states.filter((s) => s.device === 'meter').at(-1)?.status;
  const until = async (what: string, check: () => boolean) => {
    const started = performance.now();
    while (!check()) {
      if (performance.now() - started > 15_000) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('exceptions only for 3 cycles → error with the reason and device.offline; reads again → online and device.online', async () => {
    await until('online', () => status() === 'online');
    sim.device('meter').setFaults({ exception: 4 });
    await until('error', () => status() === 'error');
    const error = states.filter((s) => s.device === 'meter').at(-1)!;
    expect(error.error).toMatch(
      /^modbus exception 4 \(server device failure\) at input \d+(-\d+)? on unit 1 @ 127\.0\.0\.1:\d+ \(3 cycles without a valid read\)$/,
    );
    const offline = events.find((e) => e.type === 'device.offline');
    expect(offline).toMatchObject({ device: 'meter', state: 'active', severity: 'major' });
    expect(offline!.message).toMatch(/^meter is in error: modbus exception 4/);

    sim.device('meter').clearFaults();
    await until('online again', () => status() === 'online');
    expect(events.find((e) => e.type === 'device.online')).toMatchObject({ device: 'meter', state: 'cleared', key: offline!.key });
  });

  it('logs one line per status change, with no key twice in a line', () => {
    const changes = lines.filter(
      (l) => l.includes('"device":"meter"') && /status/i.test(l) && /"msg":"(device status changed|device offline|device online|device back online)"/.test(l),
    );
    expect(changes.map((l) => (JSON.parse(l) as { status: string }).status)).toEqual(['online', 'error', 'online']);
    for (const l of lines) {
      const keys = topLevelKeys(l);
      expect(
        keys.filter((k, i) => keys.indexOf(k) !== i),
        l,
      ).toEqual([]);
    }
    expect(lines.some((l) => l.includes('"driver":"modbus"'))).toBe(true);
  });
});

/** The keys of a JSON object line at its top level, duplicates kept (JSON.parse would hide them). */
function topLevelKeys(line: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      let j = i + 1;
      while (line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      if (depth === 1 && line[j + 1] === ':') keys.push(line.slice(i + 1, j));
      i = j;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return keys;
}
