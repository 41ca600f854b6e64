import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Gateway } from '../../gateway/daemon.js';
import { type PlatformBroker, startPlatformBroker } from '../../simulators/platform/platform-broker.js';
import { contractValidator } from '../helpers/contract.js';
import { startGateway, tempDir, testConfig } from '../helpers/gateway-harness.js';
import { PlatformRecorder } from '../helpers/platform.js';

describe('a full outbox during an outage', () => {
  const tmp = tempDir();
  let broker: PlatformBroker;
  let gateway: Gateway;
  const recorders: PlatformRecorder[] = [];
  afterAll(async () => {
    await gateway?.stop();
    for (const r of recorders) await r.stop();
    await broker?.stop();
    tmp.cleanup();
  });

  it('drops the oldest telemetry, keeps the events, and tells the platform what it dropped', async () => {
    broker = await startPlatformBroker();
    const port = broker.port;
    const config = testConfig(broker.url, tmp.dir, {
      outbox: { capacityBytes: 1024 * 1024 },
      devices: [
        {
          id: 'busy-1',
          kind: 'other',
          driver: 'synthetic',
          intervalMs: 10,
          points: Array.from({ length: 20 }, (_, i) => ({ name: `p${i}`, wave: 'random-walk', min: 0, max: 100 })),
          events: [{ type: 'intrusion', everyMs: 100 }],
        },
      ],
    });
    config.platform = { url: broker.url, reconnect: { minDelayMs: 200, maxDelayMs: 1000 } };
    gateway = await startGateway(config);
    const events = new Set<string>();
    gateway.bus.on('event', (e) => {
      if (e.type === 'intrusion') events.add(e.id);
    });
    await broker.stop();
    // 2000 readings/s of ~160 bytes: 1 MiB fills in a few seconds.
    await vi.waitFor(() => expect(gateway.status().outbox.dropped.telemetry).toBeGreaterThan(0), { timeout: 20_000, interval: 100 });
    const stats = gateway.status().outbox;
    expect(stats.dropped.telemetry).toBeGreaterThan(0);
    expect(stats.dropped.events).toBe(0);
    expect(stats.events.bytes + stats.telemetry.bytes).toBeLessThanOrEqual(1024 * 1024);

    let ready = false;
    broker = await startPlatformBroker({ port, admit: (id) => id !== 'gw-test-01' || ready });
    const platform = new PlatformRecorder(broker.url);
    recorders.push(platform);
    await platform.start();
    ready = true;
    const accepted = [...events];
    await platform.until(
      () => {
        const got = new Set(platform.events('intrusion').map((e) => e.id));
        return accepted.every((id) => got.has(id)) && platform.events('gateway.data_dropped').some((e) => e.data?.reason === 'capacity');
      },
      30_000,
      'every event and the capacity drop report',
    );
    // On a loaded machine the overload guard may also thin readings first (its own report, reason
    // `overload`); the capacity drop is the one this test is about.
    const drop = platform.events('gateway.data_dropped').find((e) => e.data?.reason === 'capacity');
    expect(contractValidator().check('event', drop)).toBeUndefined();
    expect(drop).toMatchObject({ severity: 'major', state: 'pulse', data: { lane: 'telemetry', reason: 'capacity' } });
    expect(drop.data.count).toBeGreaterThan(0);
    expect(Date.parse(drop.data.from)).toBeLessThanOrEqual(Date.parse(drop.data.to));
    expect(drop.message).toMatch(/^dropped \d+ readings \(\d+ bytes\) accepted from .* because the outbox was full$/);
  });
});
