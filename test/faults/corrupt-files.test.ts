import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type PlatformBroker, startPlatformBroker } from '../../simulators/platform/platform-broker.js';
import { tempDir, testConfig } from '../helpers/gateway-harness.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { PlatformRecorder } from '../helpers/platform.js';

describe('fault injection: corrupt and empty files', () => {
  const dirs: Array<() => void> = [];
  let broker: PlatformBroker;
  let platform: PlatformRecorder;
  const processes: GatewayProcess[] = [];
  afterAll(async () => {
    for (const p of processes) await p.kill();
    await platform?.stop();
    await broker?.stop();
    for (const d of dirs) d();
  });
  const fresh = () => {
    const t = tempDir();
    dirs.push(t.cleanup);
    return t.dir;
  };

  it.each([
    ['a zero-byte configuration', '', /gridgate\.yaml: is empty/],
    ['a configuration of random bytes', '\u0000\u0001\u00ff{{{[[[', /is not valid YAML or JSON|must be a mapping of settings/],
    ['a truncated configuration', 'gateway: gw-1\nsite: s\nplatform:\n  url: "mqtt://127.0.0.1:18', /is not valid YAML or JSON/],
  ])('refuses to start on %s, saying why, with exit code 1', async (_name, content, message) => {
    const dir = fresh();
    const gateway = new GatewayProcess(dir, { gateway: 'x', site: 'y', platform: { url: 'mqtt://127.0.0.1:1' } });
    writeFileSync(gateway.configPath, content);
    processes.push(gateway);
    gateway.start();
    expect(await gateway.exited()).toBe(1);
    expect(gateway.output).toMatch(/refusing to start/);
    expect(gateway.output).toMatch(message);
  });

  it.each([
    ['random bytes', Buffer.alloc(16_384, 0x5a), true],
    ['a zero-byte file', Buffer.alloc(0), false],
    ['a truncated SQLite header', Buffer.from('SQLite format 3\u0000\u0010\u0000\u0001\u0001'), true],
  ])('starts with an outbox database of %s, and reports a replaced one to the platform', async (_name, bytes, replaced) => {
    broker ??= await startPlatformBroker();
    if (!platform) {
      platform = new PlatformRecorder(broker.url);
      await platform.start();
    }
    const dir = fresh();
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'gridgate.db'), bytes);
    const config = testConfig(broker.url, dataDir);
    config.gateway = `gw-corrupt-${Math.random().toString(36).slice(2, 8)}`;
    const gateway = new GatewayProcess(dir, config);
    processes.push(gateway);
    gateway.start();
    const fromThis = () =>
      platform
        .of('event')
        .filter((m) => m.doc.gateway === config.gateway)
        .map((m) => m.doc);
    await platform.until(() => fromThis().some((e) => e.type === 'gateway.started'), 20_000, 'the gateway to start');
    const dropped = fromThis().filter((e) => e.type === 'gateway.data_dropped');
    if (replaced) {
      expect(dropped).toHaveLength(1);
      expect(dropped[0]).toMatchObject({ severity: 'critical', seq: 1, data: { reason: 'outbox_corrupt' } });
      expect(dropped[0].data.movedTo).toMatch(/gridgate\.db\.corrupt-/);
    } else {
      expect(dropped).toHaveLength(0);
    }
    await gateway.kill('SIGTERM');
  });
});
