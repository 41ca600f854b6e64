import { afterAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../gateway/config/load-config.js';
import type { Gateway } from '../../gateway/daemon.js';
import { startGateway, tempDir, testConfig } from '../helpers/gateway-harness.js';
import { type PlatformRecorder, startPlatform, type TestPlatform } from '../helpers/platform.js';

function validated(raw: ReturnType<typeof testConfig>) {
  const r = validateConfig(raw, { baseDir: process.cwd(), env: {} });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.loaded.config;
}

describe('applying a new configuration to a running gateway', () => {
  const tmp = tempDir();
  let site: TestPlatform;
  let platform: PlatformRecorder;
  let gateway: Gateway;
  afterAll(async () => {
    await gateway?.stop();
    await site?.stop();
    tmp.cleanup();
  });

  it('restarts only what changed, and rolls back a change that fails', async () => {
    site = await startPlatform();
    platform = site.recorder;
    const base = testConfig(site.broker.url, tmp.dir);
    gateway = await startGateway(base);
    await platform.until(() => platform.readings().some((r) => r.device === 'env-1'));
    const connectsBefore = gateway.status().uplink.connects;

    const next = testConfig(site.broker.url, tmp.dir, {
      devices: [
        { id: 'env-2', kind: 'other', driver: 'synthetic', intervalMs: 50, points: [{ name: 'noise', unit: 'dB', wave: 'random-walk', min: 50, max: 80 }] },
      ],
    });
    const result = await gateway.applyConfig(validated(next));
    expect(result.changed).toEqual(['devices: added env-2', 'devices: removed env-1']);
    expect(result.restartRequired).toEqual([]);
    await platform.until(() => platform.readings().some((r) => r.device === 'env-2'));
    // The removed device's retained state is deleted (an empty retained message), not left saying "online".
    await platform.until(() => platform.messages.some((m) => m.topic.endsWith('/devices/env-1/state') && m.payload.length === 0));
    expect(gateway.status().uplink.connects).toBe(connectsBefore); // the platform connection was not touched

    const broken = testConfig(site.broker.url, tmp.dir, { devices: [] });
    broken.platform = { ...broken.platform, url: site.broker.url, username: 'gw', password: { env: 'GRIDGATE_TEST_NOT_SET' } };
    await expect(gateway.applyConfig(validated(broken))).rejects.toThrow(/GRIDGATE_TEST_NOT_SET is not set/);
    expect(gateway.config.devices.map((d) => d.id)).toEqual(['env-2']);
    expect(gateway.deviceStates().find((d) => d.device === 'env-2')?.status).toBe('online');
    await platform.until(() => gateway.status().uplink.connected);
  });
});
