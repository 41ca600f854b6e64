import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { type PlatformBroker, startPlatformBroker } from '../../simulators/platform/platform-broker.js';
import { tempDir, testConfig } from '../helpers/gateway-harness.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { PlatformRecorder } from '../helpers/platform.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('fault injection: the disk under the outbox fills up (ENOSPC)', () => {
  const tmp = tempDir();
  let broker: PlatformBroker | undefined;
  const platforms: PlatformRecorder[] = [];
  let gateway: GatewayProcess | undefined;
  afterAll(async () => {
    await gateway?.kill();
    for (const p of platforms) await p.stop();
    await broker?.stop();
    tmp.cleanup();
  });

  it('keeps running, keeps events, reports the readings it dropped, and recovers when space returns', async () => {
    broker = await startPlatformBroker();
    const port = broker.port;
    const dataDir = join(tmp.dir, 'data');
    mkdirSync(dataDir);
    const config = testConfig(broker.url, dataDir, {
      // On this 3 MiB disk: keep 0.5 MiB free (the default is 32 MiB).
      outbox: { minFreeBytes: 512 * 1024 },
      devices: [
        {
          id: 'busy-1',
          kind: 'other',
          driver: 'synthetic',
          intervalMs: 10,
          points: Array.from({ length: 20 }, (_, i) => ({ name: `p${i}`, wave: 'random-walk', min: 0, max: 100 })),
          events: [{ type: 'intrusion', everyMs: 200, pulse: true }],
        },
      ],
    });
    config.platform = { url: broker.url, reconnect: { minDelayMs: 200, maxDelayMs: 1000 } };
    // The gateway runs in a mount namespace of its own where its data folder is a 3 MiB tmpfs:
    // nothing is mounted on the host.
    gateway = new GatewayProcess(tmp.dir, config, [
      'unshare',
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      `mount -t tmpfs -o size=3m gridgate-test "${dataDir}" && exec "$@"`,
      'sh',
    ]);
    gateway.start();
    let platform = new PlatformRecorder(broker.url);
    await platform.start();
    platforms.push(platform);
    await platform.until(() => platform.readings().length > 200, 20_000, 'first readings');

    await platform.stop();
    await broker.stop();
    // 2,000 readings/s of ~160 bytes fill 3 MiB in a few seconds.
    await vi.waitFor(() => expect(gateway!.output).toMatch(/disk nearly full: dropping new readings until space returns|outbox commit failed: disk full/), {
      timeout: 30_000,
      interval: 200,
    });
    // Two more seconds on a full disk: the gateway must still be running.
    await sleep(2000);
    expect(gateway.child!.exitCode).toBeNull();
    const lastEventSeqBefore = Math.max(...platforms[0]!.events().map((e) => e.seq as number));

    let ready = false;
    broker = await startPlatformBroker({ port, admit: (id) => id !== 'gw-test-01' || ready });
    platform = new PlatformRecorder(broker.url);
    await platform.start();
    platforms.push(platform);
    ready = true;
    await platform.until(() => platform.events('gateway.data_dropped').length > 0, 30_000, 'the drop report');
    const drop = platform.events('gateway.data_dropped')[0];
    expect(drop).toMatchObject({ data: { lane: 'telemetry', reason: 'disk_full' } });
    expect(drop.data.count).toBeGreaterThan(0);
    // Events were held and committed when space returned: the events lane goes on without a gap
    // and no event was reported dropped.
    const seqs = [...new Set(platform.events().map((e) => e.seq as number))].sort((a, b) => a - b);
    expect(seqs[0]).toBeLessThanOrEqual(lastEventSeqBefore + 1);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    expect(platform.events('gateway.data_dropped').filter((e) => e.data.lane === 'events')).toEqual([]);
    // New data flows again once the backlog has drained.
    const count = platform.readings().length;
    if (process.env.DBG)
      setTimeout(
        () =>
          console.log(
            'DIAG',
            gateway!.output
              .split('\n')
              .map((l) => l.slice(0, 300))
              .slice(-25)
              .join('\n'),
            platform.readings().length,
            count,
          ),
        25_000,
      );
    await platform.until(() => platform.readings().length > count + 500, 30_000, 'readings after recovery');
    expect(gateway.child!.exitCode).toBeNull();
  });
});
