import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Gateway } from '../../gateway/daemon.js';
import { startGateway, tempDir, testConfig } from '../helpers/gateway-harness.js';
import { freePort } from '../helpers/mosquitto.js';
import { PersistentMosquitto } from '../helpers/persistent-mosquitto.js';
import { SparkplugTestHost } from './sparkplug-host.js';

const WAIT = { timeout: 30_000, interval: 50 };

/** A broker restart: no NDEATH reaches anyone (the broker died), the node comes back with a new bdSeq and replays. */
describe('Sparkplug B through a broker restart', () => {
  const tmp = tempDir();
  let broker: PersistentMosquitto;
  let host: SparkplugTestHost;
  let gateway: Gateway;

  afterAll(async () => {
    await gateway?.stop();
    await host?.stop();
    await broker?.stop();
    tmp.cleanup();
  });

  it('starts a new session (new bdSeq, births first) and the events lane stays gap-free, the backlog historical', async () => {
    broker = new PersistentMosquitto(join(tmp.dir, 'broker'), await freePort());
    await broker.start();
    host = new SparkplugTestHost(broker.url, 1, true);
    await host.start();
    gateway = await startGateway(
      testConfig(broker.url, join(tmp.dir, 'data'), {
        platform: { url: broker.url, profile: 'sparkplug-b', reconnect: { minDelayMs: 100, maxDelayMs: 1000 } },
      }),
    );
    await vi.waitFor(() => expect(host.events.length).toBeGreaterThan(5), WAIT);
    const bdSeqs = () => host.messages.filter((m) => m.verb === 'NBIRTH').map((m) => Number(m.payload.metrics?.find((x) => x.name === 'bdSeq')?.value));
    await broker.stop();
    await vi.waitFor(() => expect(gateway.status().outbox.events.count).toBeGreaterThan(5), WAIT);
    await broker.start();
    await vi.waitFor(() => expect(host.count('NBIRTH')).toBe(2), WAIT);
    await vi.waitFor(() => expect(gateway.status().outbox.events.count).toBe(0), WAIT);
    const [first, second] = bdSeqs();
    // Every CONNECT attempt takes the next bdSeq (its will is fixed before the broker answers): refused attempts skip numbers.
    expect(second).not.toBe(first);
    expect(host.violations).toEqual([]);
    const seqs = [...new Set(host.events.map((e) => e.seq))].sort((a, b) => a - b);
    expect(seqs[0]).toBe(1);
    expect(seqs.at(-1)).toBe(seqs.length);
    expect(host.events.some((e) => e.historical)).toBe(true);
    expect(host.violations).toEqual([]);
  });
});
