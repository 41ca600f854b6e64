import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatProblem } from '../../gateway/config/config-problems.js';
import { validateConfig } from '../../gateway/config/load-config.js';
import { Gateway } from '../../gateway/daemon.js';
import type { GatewayExtension } from '../../gateway/extension.js';
import { startPlatformBroker } from '../../simulators/platform/platform-broker.js';
import { tempDir, testConfig } from '../helpers/gateway-harness.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A gateway whose outbox (1 MiB) fills in a second or two with the platform away, and whose log lines are kept. */
async function fillingGateway(extensions: GatewayExtension[] = []) {
  const tmp = tempDir('gg-stop-drop-');
  cleanups.push(tmp.cleanup);
  const broker = await startPlatformBroker();
  const url = broker.url;
  await broker.stop(); // the platform is away: nothing leaves the outbox
  const raw = testConfig(url, tmp.dir, {
    outbox: { capacityBytes: 1024 * 1024 },
    devices: [
      {
        id: 'busy-1',
        kind: 'other',
        driver: 'synthetic',
        intervalMs: 10,
        points: Array.from({ length: 20 }, (_, i) => ({ name: `p${i}`, wave: 'random-walk', min: 0, max: 100 })),
      },
    ],
  });
  const result = validateConfig(raw, { baseDir: process.cwd(), env: {} });
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('; '));
  const lines: Array<{ level: number; msg: string }> = [];
  const log = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) });
  const gateway = new Gateway({ config: result.loaded.config, baseDir: process.cwd(), log, env: {}, extensions });
  await gateway.start();
  cleanups.push(() => gateway.stop());
  return { gateway, lines, dbPath: join(tmp.dir, 'gridgate.db') };
}

/** The drop reports the outbox holds for the platform, with their counts. */
function storedDropCounts(dbPath: string): number[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    const rows = db.prepare("SELECT payload FROM events WHERE payload LIKE '%gateway.data_dropped%' ORDER BY seq").pluck().all() as string[];
    return rows.map((p) => JSON.parse(p).data.count as number);
  } finally {
    db.close();
  }
}

async function droppedTotal(gateway: Gateway): Promise<number> {
  const m = await gateway.metrics.dropped.get();
  return m.values.reduce((n, v) => n + v.value, 0);
}

describe('stopping the gateway after the outbox dropped data', () => {
  it('completes: the pending drop report is committed, the outbox closed, no step fails', async () => {
    const { gateway, lines, dbPath } = await fillingGateway();
    // The first drop is reported at once; later ones wait for the 10 s report window: stop in it.
    const reports: number[] = [];
    gateway.bus.on('event', (e) => {
      if (e.type === 'gateway.data_dropped') reports.push(e.data?.count as number);
    });
    await vi.waitFor(() => expect(reports.length).toBeGreaterThan(0), { timeout: 30_000, interval: 20 });
    await vi.waitFor(() => expect(gateway.status().outbox.dropped.telemetry).toBeGreaterThan(reports[0]!), { timeout: 30_000, interval: 20 });
    expect(reports).toHaveLength(1); // the rest is pending in the reporter
    await gateway.stop();

    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    expect(lines.some((l) => l.msg === 'gridgate stopped')).toBe(true);
    // Every dropped reading is accounted for in a report that reached the disk before the close.
    const reported = storedDropCounts(dbPath).reduce((a, b) => a + b, 0);
    expect(reported).toBe(await droppedTotal(gateway));
    await gateway.stop(); // a second stop is harmless
  });

  it('releases everything even when a part throws while stopping', async () => {
    const throwing: GatewayExtension = {
      name: 'broken',
      stop: async () => {
        throw new Error('extension stop exploded');
      },
    };
    const { gateway, lines, dbPath } = await fillingGateway([throwing]);
    await vi.waitFor(async () => expect(await droppedTotal(gateway)).toBeGreaterThan(0), { timeout: 30_000, interval: 50 });
    await gateway.stop();
    expect(lines.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual(['stop step failed; going on with the others']);
    expect(lines.some((l) => l.msg === 'gridgate stopped')).toBe(true);
    // Closed: the database is no longer held open by the gateway (WAL checkpointed on close).
    expect(storedDropCounts(dbPath).length).toBeGreaterThan(0);
    expect(() => gateway.status()).toThrow(/not started/);
  });
});
