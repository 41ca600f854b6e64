import { connect } from 'node:net';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatProblem } from '../../gateway/config/config-problems.js';
import { validateConfig } from '../../gateway/config/load-config.js';
import type { GatewayConfigInput } from '../../gateway/config/schema/gateway-config.js';
import { Gateway } from '../../gateway/daemon.js';
import type { GatewayExtension } from '../../gateway/extension.js';
import { tempDir, testConfig } from '../helpers/gateway-harness.js';

/**
 * `stop()` releases everything even when parts throw while stopping (gateway/daemon.ts): each step
 * runs, the failures are logged once each, the HTTP port and the database file are released. A
 * start that fails while building (a platform secret that cannot be read) closes the database too.
 */
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0).reverse()) await c();
});

function gatewayFor(overrides: Partial<GatewayConfigInput>, extensions: GatewayExtension[] = []) {
  const tmp = tempDir('gg-stop-releases-');
  cleanups.push(tmp.cleanup);
  // Nothing listens on port 1: the uplink keeps trying, nothing leaves the outbox.
  const result = validateConfig(testConfig('mqtt://127.0.0.1:1', tmp.dir, overrides), { baseDir: process.cwd(), env: {} });
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('; '));
  const lines: Array<{ level: number; msg: string; step?: string }> = [];
  const log = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) });
  const gateway = new Gateway({ config: result.loaded.config, baseDir: process.cwd(), log, env: {}, extensions });
  return { gateway, lines };
}

/** Whether something accepts TCP connections on the port (loopback). */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('stopping the gateway when parts throw', () => {
  it('runs every step, logs each failure once, and releases the HTTP port and the database', async () => {
    const failing: GatewayExtension = {
      name: 'failing-extension',
      stop: async () => {
        throw new Error('extension cannot stop');
      },
    };
    const { gateway, lines } = gatewayFor({}, [failing]);
    await gateway.start();
    cleanups.push(() => gateway.stop());
    const port = gateway.httpPort!;
    expect(await listening(port)).toBe(true);

    // The parts of the running gateway, made to throw where a real failure would (a driver, the
    // uplink); the outbox still commits and closes its file after them.
    const parts = (
      gateway as unknown as {
        parts: { database: Database.Database; devices: { stop(signal: AbortSignal): Promise<void> }; uplink: { stop(ms: number): Promise<void> } };
      }
    ).parts;
    const database = parts.database;
    // Each stops what it holds, then reports a failure (no timer or socket is left behind by the test itself).
    const stopDevices = parts.devices.stop.bind(parts.devices);
    const stopUplink = parts.uplink.stop.bind(parts.uplink);
    vi.spyOn(parts.devices, 'stop').mockImplementation(async (signal: AbortSignal) => {
      await stopDevices(signal);
      throw new Error('driver cannot stop');
    });
    vi.spyOn(parts.uplink, 'stop').mockImplementation(async (ms: number) => {
      await stopUplink(ms);
      throw new Error('uplink cannot stop');
    });

    await gateway.stop();

    const failed = lines.filter((l) => l.msg === 'stop step failed; going on with the others').map((l) => l.step);
    expect(failed).toEqual(['extension failing-extension', 'devices', 'uplink']);
    expect(lines.some((l) => l.msg === 'gridgate stopped')).toBe(true);
    expect(database.open).toBe(false);
    expect(await listening(port)).toBe(false);
    expect(() => gateway.status()).toThrow(/not started/);
    await gateway.stop(); // a second stop is harmless
  });

  it('a start that fails while building the parts closes the database it opened', async () => {
    const close = vi.spyOn(Database.prototype, 'close');
    const { gateway } = gatewayFor({ platform: { url: 'mqtt://127.0.0.1:1', password: { env: 'GRIDGATE_TEST_UNSET_PASSWORD' } } });
    await expect(gateway.start()).rejects.toMatchObject({ code: 'E_SECRET_UNAVAILABLE' });
    expect(close).toHaveBeenCalledTimes(1);
    expect(close.mock.contexts[0]).toMatchObject({ open: false });
  });
});
