import { afterAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../gateway/daemon.js';
import { type ModbusSimulator, startModbusSimulator } from '../../simulators/modbus/simulator.js';
import { startGateway, tempDir, testConfig } from '../helpers/gateway-harness.js';
import { type PlatformRecorder, startPlatform, type TestPlatform } from '../helpers/platform.js';

describe('fault injection: Modbus slaves dying', () => {
  const tmp = tempDir();
  let site: TestPlatform;
  let platform: PlatformRecorder;
  let gateway: Gateway;
  const sims = new Map<string, ModbusSimulator>();
  afterAll(async () => {
    await gateway?.stop();
    for (const s of sims.values()) await s.stop();
    await site?.stop();
    tmp.cleanup();
  });

  it('marks the dead ones offline with a reason, keeps the others reporting, and brings them back', async () => {
    site = await startPlatform();
    platform = site.recorder;
    const ids = ['meter-a', 'meter-b', 'meter-c', 'meter-d'];
    for (const id of ids) sims.set(id, await startModbusSimulator({ devices: [{ id, model: 'power-meter', unitId: 1, port: 0 }] }));
    const port = (id: string) => sims.get(id)!.ports[id]!;
    const ports = Object.fromEntries(ids.map((id) => [id, port(id)]));
    gateway = await startGateway(
      testConfig(site.broker.url, tmp.dir, {
        devices: ids.map((id) => ({
          id,
          kind: 'modbus',
          driver: 'modbus',
          profile: 'modbus-power-meter',
          connection: { transport: 'tcp', host: '127.0.0.1', port: ports[id] },
          unitId: 1,
          intervalMs: 200,
          timeoutMs: 200,
          retries: 0,
        })),
      }),
    );
    const readingsOf = (id: string) => platform.readings().filter((r) => r.device === id && r.quality === 'good').length;
    await platform.until(() => ids.every((id) => readingsOf(id) > 3), 20_000, 'every meter reporting');

    // Two slaves die: their servers go away.
    for (const id of ['meter-a', 'meter-b']) {
      await sims.get(id)!.stop();
      sims.delete(id);
    }
    await platform.until(() => platform.events('device.offline').length >= 2, 30_000, 'device.offline for both');
    const offline = platform.events('device.offline');
    expect(offline.map((e) => e.source.device).sort()).toEqual(['meter-a', 'meter-b']);
    expect(offline[0]).toMatchObject({ state: 'active', severity: 'major' });
    const states = platform
      .of('device-state')
      .map((m) => m.doc)
      .filter((d) => d.device === 'meter-a');
    expect(states.at(-1)).toMatchObject({ status: 'offline' });
    expect(states.at(-1).error).toMatch(/./);

    // The living keep their rate while the dead are down.
    const before = { c: readingsOf('meter-c'), d: readingsOf('meter-d') };
    await platform.until(() => readingsOf('meter-c') - before.c > 5 && readingsOf('meter-d') - before.d > 5, 15_000, 'good readings from the living meters');

    // They come back on the same ports.
    for (const id of ['meter-a', 'meter-b']) sims.set(id, await startModbusSimulator({ devices: [{ id, model: 'power-meter', unitId: 1, port: ports[id] }] }));
    await platform.until(() => platform.events('device.online').length >= 2, 60_000, 'device.online for both');
    const online = platform.events('device.online');
    expect(online.map((e) => e.source.device).sort()).toEqual(['meter-a', 'meter-b']);
    expect(online[0]).toMatchObject({ state: 'cleared', key: `device:${online[0].source.device}:offline` });
  });
});
