import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { tempDir, testConfig } from '../helpers/gateway-harness.js';
import { type PlatformRecorder, startPlatform, type TestPlatform } from '../helpers/platform.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

describe('SIGHUP', () => {
  const tmp = tempDir();
  let site: TestPlatform;
  let platform: PlatformRecorder;
  const kill: Array<() => void> = [];
  afterAll(async () => {
    for (const k of kill) k();
    await site?.stop();
    tmp.cleanup();
  });

  it('keeps the running configuration when the new file is invalid, and applies a valid one', async () => {
    site = await startPlatform();
    platform = site.recorder;
    const configPath = join(tmp.dir, 'gridgate.yaml');
    const config = testConfig(site.broker.url, join(tmp.dir, 'data'));
    writeFileSync(configPath, stringify(config));
    let stderr = '';
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'gateway/cli/main.ts'), 'run', '--config', configPath], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GRIDGATE_LOG_LEVEL: 'info' },
    });
    child.stdout.on('data', (d) => {
      stderr += String(d);
    });
    kill.push(() => child.kill('SIGKILL'));
    await platform.until(() => platform.readings().some((r) => r.device === 'env-1'), 20_000);

    writeFileSync(configPath, 'gateway: BAD\nsite: [\n');
    child.kill('SIGHUP');
    await vi.waitFor(() => expect(stderr).toMatch(/configuration reload refused: keeping the running configuration/), { timeout: 15_000, interval: 50 });
    expect(child.exitCode).toBeNull();
    const count = platform.readings().length;
    await platform.until(() => platform.readings().length > count + 10);

    const next = testConfig(site.broker.url, join(tmp.dir, 'data'), {
      devices: [{ id: 'env-9', kind: 'other', driver: 'synthetic', intervalMs: 50, points: [{ name: 'lux', unit: 'lx' }] }],
    });
    writeFileSync(configPath, stringify(next));
    child.kill('SIGHUP');
    await platform.until(() => platform.readings().some((r) => r.device === 'env-9'), 15_000);
    expect(stderr).toMatch(/configuration applied/);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
