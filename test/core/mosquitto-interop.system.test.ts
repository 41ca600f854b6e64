import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { contractValidator } from '../helpers/contract.js';
import { TEST_ROOT, tempDir, testConfig } from '../helpers/gateway-harness.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { PlatformRecorder } from '../helpers/platform.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const contract = contractValidator();

describe.each([4, 5] as const)('against a real Mosquitto broker (MQTT protocol level %i)', (protocolVersion) => {
  const tmp = tempDir();
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    tmp.cleanup();
  });

  it('delivers contract-valid messages, answers commands, and leaves its last will when killed', async () => {
    const mosquitto = await startMosquitto(tmp.dir);
    cleanups.push(mosquitto.stop);
    const platform = new PlatformRecorder(mosquitto.url);
    await platform.start();
    cleanups.push(() => platform.stop());
    const config = testConfig(mosquitto.url, join(tmp.dir, 'data'));
    config.platform = { url: mosquitto.url, protocolVersion, reconnect: { minDelayMs: 100, maxDelayMs: 1000 } };
    const configPath = join(tmp.dir, 'gridgate.yaml');
    writeFileSync(configPath, stringify(config));
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'gateway/cli/main.ts'), 'run', '--config', configPath], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    cleanups.push(async () => void child.kill('SIGKILL'));

    await platform.until(() => platform.readings().length > 20 && platform.events().length > 2, 20_000, 'telemetry and events');
    const result = await platform.command(TEST_ROOT, 'set-mode', { id: `m-${protocolVersion}`, args: { mode: 'major-event', reason: 'interop' } });
    expect(result).toMatchObject({ ok: true, result: { mode: 'major-event' } });

    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    // Mosquitto publishes the will once it notices the dead socket (at once here: the socket closed).
    await platform.until(() => platform.of('state').some((m) => m.doc.online === false), 10_000, 'the last will');

    for (const m of platform.messages) {
      if (m.kind === 'snapshot' || m.kind === 'command' || m.kind === undefined) continue;
      expect(contract.check(m.kind, m.doc), m.topic).toBeUndefined();
    }
    const late = new PlatformRecorder(mosquitto.url);
    await late.start();
    await late.until(() => late.of('state').length > 0 && late.of('device-state').length > 0);
    expect(late.of('state')[0]).toMatchObject({ retained: true, doc: { online: false } });
    expect(late.of('device-state')[0]).toMatchObject({ retained: true, doc: { device: 'env-1' } });
    await late.stop();
  });
});
