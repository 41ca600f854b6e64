import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Gateway } from '../../gateway/daemon.js';
import { startGateway, tempDir, testConfig } from '../helpers/gateway-harness.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { SparkplugTestHost } from './sparkplug-host.js';

/** `sparkplug.qos: 0`, the spec's own setting ([tck-id-topics-nbirth-mqtt], [tck-id-topics-ddata-mqtt], [tck-id-topics-dbirth-mqtt]). */
describe('Sparkplug B with QoS 0 (strict)', () => {
  const tmp = tempDir();
  let broker: Awaited<ReturnType<typeof startMosquitto>>;
  let host: SparkplugTestHost;
  let gateway: Gateway;

  afterAll(async () => {
    await gateway?.stop();
    await host?.stop();
    await broker?.stop();
    tmp.cleanup();
  });

  it('publishes births and data at QoS 0 (the will stays QoS 1) and keeps every rule', async () => {
    broker = await startMosquitto(tmp.dir);
    host = new SparkplugTestHost(broker.url, 0);
    await host.start();
    gateway = await startGateway(
      testConfig(broker.url, join(tmp.dir, 'data'), { platform: { url: broker.url, profile: 'sparkplug-b', sparkplug: { qos: 0 } } }),
    );
    await vi.waitFor(() => expect(host.messages.length).toBeGreaterThan(60), { timeout: 30_000, interval: 50 });
    expect(host.messages.filter((m) => m.verb !== 'NDEATH').every((m) => m.qos === 0)).toBe(true);
    await vi.waitFor(() => expect(gateway.status().outbox.events.count).toBe(0), { timeout: 30_000, interval: 50 });
    await gateway.stop();
    await vi.waitFor(() => expect(host.count('NDEATH')).toBe(1), { timeout: 10_000, interval: 50 });
    expect(host.violations).toEqual([]);
  });
});
