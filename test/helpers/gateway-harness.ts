import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayConfigInput } from '../../gateway/config/schema/gateway-config.js';
import { formatProblem } from '../../gateway/config/config-problems.js';
import { validateConfig } from '../../gateway/config/load-config.js';
import { createLogger, silentLogger } from '../../gateway/core/logger.js';
import pino from 'pino';
import { Gateway } from '../../gateway/daemon.js';

/** A fresh data folder per test, removed by `cleanup`. */
export function tempDir(prefix = 'gridgate-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A small valid configuration for tests; `overrides` replace top-level sections. */
export function testConfig(brokerUrl: string, dataDir: string, overrides: Partial<GatewayConfigInput> = {}): GatewayConfigInput {
  return {
    gateway: 'gw-test-01',
    site: 'test-site',
    dataDir,
    platform: { url: brokerUrl, reconnect: { minDelayMs: 100, maxDelayMs: 1000 }, stateIntervalMs: 1000 },
    http: { host: '127.0.0.1', port: 0 },
    batching: { maxReadings: 500, maxDelayMs: 50 },
    log: { level: 'error' },
    // Tests count every event: no storm suppression unless a test asks for it.
    rules: { suppression: { windowMs: 0 } },
    devices: [
      {
        id: 'env-1',
        kind: 'other',
        driver: 'synthetic',
        intervalMs: 50,
        points: [
          { name: 'temperature', unit: 'Cel', wave: 'sine', min: 0, max: 30 },
          { name: 'power', unit: 'kW', sourceUnit: 'W', wave: 'ramp', min: 0, max: 5000 },
          { name: 'voltage', unit: 'V', wave: 'constant', min: 230, failEvery: 3 },
        ],
        events: [{ type: 'crowd.density', everyMs: 100, severity: 'minor' }],
      },
    ],
    ...overrides,
  };
}

/** Starts an in-process gateway on a validated test configuration. */
export async function startGateway(raw: GatewayConfigInput, env: NodeJS.ProcessEnv = {}): Promise<Gateway> {
  const result = validateConfig(raw, { baseDir: process.cwd(), env: {} });
  if (!result.ok) throw new Error(`test config invalid: ${result.problems.map(formatProblem).join('; ')}`);
  const gateway = new Gateway({ config: result.loaded.config, baseDir: process.cwd(), log: testLogger(), env });
  await gateway.start();
  return gateway;
}

export const TEST_ROOT = 'gridgate/v1/test-site/gw-test-01';

/** Silent, unless GRIDGATE_TEST_LOG_FILE names a file to append debug lines to (for chasing a failure). */
function testLogger() {
  const file = process.env.GRIDGATE_TEST_LOG_FILE;
  return file ? createLogger({ level: 'debug', destination: pino.destination({ dest: file, sync: true }) }) : silentLogger();
}
