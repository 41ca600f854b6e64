import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { type ModbusSimulator, startModbusSimulator } from '../../simulators/modbus/simulator.js';
import { tempDir, testConfig } from '../helpers/gateway-harness.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { SparkplugTestHost } from './sparkplug-host.js';

const KILLS = 3;
const WAIT = { timeout: 30_000, interval: 100 };
const DCMD = 'spBv1.0/test-site/DCMD/gw-test-01/meter-1';

/** What the outbox holds right now (accepted, not acknowledged): event ids and reading keys device/point/ms. */
function pending(dbPath: string): { events: string[]; readings: string[] } {
  if (!existsSync(dbPath)) return { events: [], readings: [] };
  const db = new Database(dbPath, { readonly: true });
  try {
    const events = db.prepare('SELECT id FROM events').pluck().all() as string[];
    const rows = db.prepare('SELECT payload FROM readings').pluck().all() as string[];
    // A row holds a run of readings: their JSON objects joined by commas (outbox schema 2).
    const readings = rows
      .flatMap((p) => JSON.parse(`[${p}]`) as Array<{ device: string; point: string; ts: string; value: unknown }>)
      .filter((r) => r.value !== null)
      .map((r) => `${r.device}/${r.point}/${Date.parse(r.ts)}`);
    return { events, readings };
  } finally {
    db.close();
  }
}

describe('Sparkplug B profile: kill -9 and DCMD, a real gateway process against Mosquitto', () => {
  const tmp = tempDir();
  let broker: Awaited<ReturnType<typeof startMosquitto>>;
  let sim: ModbusSimulator;
  let host: SparkplugTestHost;
  let gw: GatewayProcess;

  afterAll(async () => {
    await gw?.kill();
    await host?.stop();
    await broker?.stop();
    await sim?.stop();
    tmp.cleanup();
  });

  it('loses no accepted event or reading across kill -9: the will is the NDEATH, bdSeq moves on, the backlog follows the new birth', async () => {
    broker = await startMosquitto(tmp.dir);
    sim = await startModbusSimulator({ devices: [{ id: 'meter-1', model: 'power-meter', port: 0 }] });
    host = new SparkplugTestHost(broker.url, 1);
    await host.start();
    const dataDir = join(tmp.dir, 'data');
    const base = testConfig(broker.url, dataDir);
    gw = new GatewayProcess(tmp.dir, {
      ...base,
      platform: {
        url: broker.url,
        profile: 'sparkplug-b',
        sparkplug: { primaryHostId: 'scada' },
        reconnect: { minDelayMs: 100, maxDelayMs: 1000 },
        keepaliveSeconds: 5,
      },
      devices: [
        ...(base.devices ?? []),
        {
          id: 'meter-1',
          kind: 'modbus',
          driver: 'modbus',
          profile: 'modbus-power-meter',
          connection: { transport: 'tcp', host: '127.0.0.1', port: sim.ports['meter-1']! },
          unitId: 1,
          intervalMs: 200,
        },
      ],
    });
    const db = join(dataDir, 'gridgate.db');
    const mustArrive = { events: new Set<string>(), readings: new Set<string>() };
    let stateTs = Date.now();
    for (let k = 0; k <= KILLS; k++) {
      const births = host.count('NBIRTH');
      await host.publishState('scada', true, ++stateTs);
      gw.start();
      await vi.waitFor(() => expect(host.count('NBIRTH')).toBe(births + 1), WAIT);
      const seen = host.events.length;
      await vi.waitFor(() => expect(host.events.length).toBeGreaterThan(seen + 5), WAIT);
      if (k === KILLS) break;
      const deaths = host.count('NDEATH');
      if (k % 2 === 1) {
        // An outage first (the host goes offline: NDEATH, the session ends), then kill -9 with a backlog on disk.
        await host.publishState('scada', false, ++stateTs);
        await vi.waitFor(() => expect(host.count('NDEATH')).toBe(deaths + 1), WAIT);
        await vi.waitFor(() => expect(pending(db).events.length).toBeGreaterThan(5), WAIT);
        await gw.kill('SIGKILL');
      } else {
        // Killed in full flow: the broker publishes the will (the socket closed), the NDEATH with this session's bdSeq.
        await gw.kill('SIGKILL');
        await vi.waitFor(() => expect(host.count('NDEATH')).toBe(deaths + 1), WAIT);
      }
      const p = pending(db);
      for (const e of p.events) mustArrive.events.add(e);
      for (const r of p.readings) mustArrive.readings.add(r);
    }
    await vi.waitFor(() => {
      const got = new Set(host.events.map((e) => e.id));
      expect([...mustArrive.events].filter((id) => !got.has(id))).toEqual([]);
      const keys = new Set(host.data.map((d) => `${d.device}/${d.name}/${d.ts}`));
      expect([...mustArrive.readings].filter((k) => !keys.has(k))).toEqual([]);
    }, WAIT);
    expect(mustArrive.events.size).toBeGreaterThan(0);
    console.log(
      `${KILLS} kill -9: ${mustArrive.events.size} events and ${mustArrive.readings.size} readings were in the outbox at a kill and all arrived after the restart; ${host.events.filter((e) => e.historical).length} events flagged is_historical`,
    );
    // Event seq (the outbox lane) has no gap over all sessions.
    const seqs = [...new Set(host.events.map((e) => e.seq))].sort((a, b) => a - b);
    expect(seqs[0]).toBe(1);
    expect(seqs.at(-1)).toBe(seqs.length);
    // Backlog sent after a birth is flagged historical.
    expect(host.events.some((e) => e.historical)).toBe(true);
    expect(host.violations).toEqual([]);
  }, 240_000);

  it('maps a DCMD to write-point: the coil is written and its new value comes back as DDATA', async () => {
    await vi.waitFor(() => expect(host.data.some((d) => d.device === 'meter-1' && d.name === 'relay' && d.value === true)).toBe(true), WAIT);
    const before = host.data.length;
    await host.command(DCMD, [{ alias: host.alias('meter-1', 'relay'), type: 'Boolean', value: false }]);
    await vi.waitFor(() => expect(host.data.slice(before).some((d) => d.device === 'meter-1' && d.name === 'relay' && d.value === false)).toBe(true), WAIT);
    expect(sim.device('meter-1')).toBeDefined();
    // Outside the limits write-point enforces nothing is written; the stream goes on without a violation.
    await host.command(DCMD, [{ name: 'no-such-point', type: 'Double', value: 1 }]);
    const size = host.messages.length;
    await vi.waitFor(() => expect(host.messages.length).toBeGreaterThan(size + 10), WAIT);
    expect(host.violations).toEqual([]);
  });

  it('a device going offline is a DDEATH, back online a new DBIRTH; no DDATA of it in between', async () => {
    const port = sim.ports['meter-1']!;
    const births = host.count('DBIRTH', 'meter-1');
    const deaths = host.count('DDEATH', 'meter-1');
    await sim.stop();
    await vi.waitFor(() => expect(host.count('DDEATH', 'meter-1')).toBe(deaths + 1), WAIT);
    sim = await startModbusSimulator({ devices: [{ id: 'meter-1', model: 'power-meter', port }] });
    await vi.waitFor(() => expect(host.count('DBIRTH', 'meter-1')).toBe(births + 1), WAIT);
    const after = host.data.length;
    await vi.waitFor(() => expect(host.data.slice(after).some((d) => d.device === 'meter-1' && d.name === 'voltage')).toBe(true), WAIT);
    expect(host.violations).toEqual([]);
  });

  it('a graceful stop publishes the NDEATH itself ([tck-id-operational-behavior-edge-node-intentional-disconnect-ndeath])', async () => {
    const deaths = host.count('NDEATH');
    await gw.kill('SIGTERM');
    await vi.waitFor(() => expect(host.count('NDEATH')).toBe(deaths + 1), WAIT);
    expect(host.violations).toEqual([]);
  });
});
