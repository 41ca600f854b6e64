import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startPlatformBroker } from '../../simulators/platform/platform-broker.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { tempDir, testConfig } from '../helpers/gateway-harness.js';
import { freePort } from '../helpers/mosquitto.js';
import { PlatformRecorder } from '../helpers/platform.js';
import { mosquittoPub } from './mosquitto-pub.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A kv value of the gateway's database, read beside the running process (WAL: readers do not block it). */
function stored<T>(dbPath: string, key: string): T | undefined {
  if (!existsSync(dbPath)) return undefined;
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const text = db.prepare('SELECT value FROM kv WHERE key = ?').pluck().get(key) as string | undefined;
    return text === undefined ? undefined : (JSON.parse(text) as T);
  } finally {
    db.close();
  }
}

describe('people counter totals across kill -9 of the gateway process', () => {
  it('go on from the stored counter and zone state: neither re-based nor counted twice', async () => {
    const platform = await startPlatformBroker();
    cleanups.push(platform.stop);
    const recorder = new PlatformRecorder(platform.url);
    await recorder.start();
    cleanups.push(() => recorder.stop());
    const tmp = tempDir('gg-mqtt-crash-');
    cleanups.push(tmp.cleanup);
    const port = await freePort();
    const http = await freePort();
    const dataDir = join(tmp.dir, 'data');
    const dbPath = join(dataDir, 'gridgate.db');
    const config = testConfig(platform.url, dataDir, {
      http: { host: '127.0.0.1', port: http, metrics: { token: { env: 'GG_TEST_METRICS_TOKEN' } } },
      devices: [
        {
          id: 'pc-1',
          kind: 'people-counter',
          driver: 'mqtt',
          profile: 'mqtt-axis-people-counter',
          connection: { mode: 'embedded', host: '127.0.0.1', port },
          auth: { password: { env: 'GG_TEST_PC_PW' } },
        },
      ],
      zones: [{ id: 'square', lines: [{ device: 'pc-1', in: 'in', out: 'out' }], thresholds: { default: [{ level: 1, at: 5_000 }] } }],
    });
    // /api/status needs a UI session or the metrics token.
    const env = { GG_TEST_PC_PW: 'pc-password-1', GG_TEST_METRICS_TOKEN: 'status-token-1' };
    const gateway = new GatewayProcess(tmp.dir, config);
    cleanups.push(() => gateway.kill('SIGKILL'));
    const base = Date.now() - 60_000;
    const send = async (i: number, counts: { in: number; out: number }) => {
      const message = JSON.stringify({ timestamp: new Date(base + i * 1000).toISOString(), ...counts });
      const until = Date.now() + 30_000;
      // The first publish waits for the child's broker to listen.
      for (;;) {
        try {
          return await mosquittoPub({ port, username: 'pc-1', password: 'pc-password-1', topic: 'axis/pc-1/people-counter', message });
        } catch (err) {
          if (Date.now() > until) throw new Error(`${(err as Error).message}\n${gateway.output}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    };
    const totals = (point: string) =>
      recorder
        .readings()
        .filter((r) => r.device === 'pc-1' && r.point === point)
        .map((r) => r.value);
    const occupancy = async () =>
      (
        (await (await fetch(`http://127.0.0.1:${http}/api/status`, { headers: { authorization: 'Bearer status-token-1' } })).json()) as {
          zones: Array<{ occupancy: number }>;
        }
      ).zones[0]!.occupancy;

    gateway.start(env);
    await send(1, { in: 500, out: 400 });
    await send(2, { in: 540, out: 420 });
    await send(3, { in: 3, out: 1 }); // the device's midnight reset: the total goes on
    await recorder.until(() => totals('in').length === 3, 20_000, 'three readings');
    expect(totals('in')).toEqual([500, 540, 543]);
    // Killed once what it counted is on disk (counters every second, zones every 2 s).
    await recorder.until(
      () => stored<{ total: number }>(dbPath, 'counter:pc-1/in')?.total === 543 && stored<{ occupancy: number }>(dbPath, 'zone:square')?.occupancy === 22,
      20_000,
      'the counter and zone state on disk',
    );
    await gateway.kill('SIGKILL');

    gateway.start(env);
    await send(4, { in: 10, out: 4 });
    await recorder.until(() => totals('in').length === 4, 20_000, 'the reading after the restart');
    expect(totals('in').at(-1)).toBe(550); // not 10 (re-based), not 553+ (counted twice)
    expect(totals('out').at(-1)).toBe(424);
    expect(await occupancy()).toBe(22 + 7 - 3);
  });
});
