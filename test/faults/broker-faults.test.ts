import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type PlatformBroker, startPlatformBroker } from '../../simulators/platform/platform-broker.js';
import { tempDir, testConfig } from '../helpers/gateway-harness.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { AcceptedSet, judge, rssMiB } from '../helpers/oracle.js';
import { PlatformRecorder } from '../helpers/platform.js';

const WINDOW = { events: 32, telemetryBatches: 4, maxReadings: 500 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A busy site: 2,000 readings/s and 20 events/s. */
function busyConfig(brokerUrl: string, dataDir: string) {
  const config = testConfig(brokerUrl, dataDir, {
    batching: { maxReadings: WINDOW.maxReadings, maxDelayMs: 50 },
    devices: [
      {
        id: 'busy-1',
        kind: 'other',
        driver: 'synthetic',
        intervalMs: 10,
        points: Array.from({ length: 20 }, (_, i) => ({ name: `p${i}`, wave: 'random-walk', min: 0, max: 100 })),
        events: [
          { type: 'motion', everyMs: 50 },
          { type: 'intrusion', everyMs: 100, pulse: true },
        ],
      },
    ],
  });
  config.platform = {
    url: brokerUrl,
    reconnect: { minDelayMs: 100, maxDelayMs: 1000 },
    inflight: { events: WINDOW.events, telemetryBatches: WINDOW.telemetryBatches },
  };
  return config;
}

describe('fault injection: the platform broker', () => {
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

  /** A fresh broker on the same port; the gateway is let in only once the platform listens. */
  async function restartBroker(port: number): Promise<PlatformRecorder> {
    // The previous recorder would reconnect to the new broker by itself: it has seen its session.
    await platforms.at(-1)?.stop();
    let ready = false;
    broker = await startPlatformBroker({ port, admit: (id) => id !== 'gw-test-01' || ready });
    const platform = new PlatformRecorder(broker.url);
    await platform.start();
    platforms.push(platform);
    ready = true;
    return platform;
  }

  it('restarts, a long outage and kill -9 during replay: nothing accepted is lost, seq has no gaps, RSS stays bounded', async () => {
    broker = await startPlatformBroker();
    const port = broker.port;
    let platform = new PlatformRecorder(broker.url);
    await platform.start();
    platforms.push(platform);
    const dataDir = join(tmp.dir, 'data');
    gateway = new GatewayProcess(tmp.dir, busyConfig(broker.url, dataDir));
    gateway.start();
    await platform.until(() => platform.readings().length > 2000, 20_000, 'first readings');
    const rssStart = rssMiB(gateway.child!.pid!);
    const accepted = new AcceptedSet();

    // Three quick broker restarts. A broker that dies may lose what it had acknowledged (aedes
    // keeps nothing), so only what the gateway accepted while the broker was down is checked.
    for (let i = 0; i < 3; i++) {
      await broker.stop();
      await sleep(300);
      accepted.addOutbox(join(dataDir, 'gridgate.db'));
      platform = await restartBroker(port);
      await platform.until(() => platform.readings().length > 500, 20_000, 'readings after a restart');
    }

    // A long outage, time-compressed: 8 s at 2,000 readings/s.
    await broker!.stop();
    await sleep(8000);
    accepted.addOutbox(join(dataDir, 'gridgate.db'));
    const rssOutage = rssMiB(gateway.child!.pid!);

    // Replay, killed twice in the middle.
    for (let k = 0; k < 2; k++) {
      platform = await restartBroker(port);
      await platform.until(() => platform.readings().length > 3000, 20_000, 'replay under way');
      await gateway.kill('SIGKILL');
      accepted.addOutbox(join(dataDir, 'gridgate.db'));
      await broker!.stop();
      gateway.start();
      await sleep(1500);
      accepted.addOutbox(join(dataDir, 'gridgate.db'));
    }
    platform = await restartBroker(port);
    const all = () => {
      const seen = new Set(platforms.flatMap((p) => p.readings().map((r) => r.id)));
      const seenEvents = new Set(platforms.flatMap((p) => p.events().map((e) => e.id)));
      return [...accepted.readings].every((id) => seen.has(id)) && [...accepted.events].every((id) => seenEvents.has(id));
    };
    await platform.until(all, 60_000, 'every accepted reading and event');

    const merged = new PlatformRecorder('');
    merged.messages.push(...platforms.flatMap((p) => p.messages));
    const verdict = judge(merged, accepted);
    console.log(
      `[faults] broker: ${JSON.stringify({ ...verdict, gaps: { telemetry: verdict.gaps.telemetry.length, event: verdict.gaps.event.length } })}; RSS ${rssStart.toFixed(0)} → ${rssOutage.toFixed(0)} MiB during the outage`,
    );
    expect(verdict.lostReadings).toBe(0);
    expect(verdict.lostEvents).toBe(0);
    // Seq gaps can only come from messages a dying broker acknowledged and lost, never from the gateway:
    // every seq the gateway sent after a restart was received.
    for (const p of platforms.slice(1)) {
      for (const kind of ['telemetry', 'event'] as const) {
        const seqs = [...new Set(p.of(kind).map((m) => m.doc.seq as number))].sort((a, b) => a - b);
        expect(seqs, `${kind} seq within one broker session`).toEqual(seqs.map((_, i) => seqs[0]! + i));
      }
    }
    expect(verdict.duplicateEvents).toBeLessThanOrEqual(7 * WINDOW.events);
    expect(verdict.duplicateReadings).toBeLessThanOrEqual(7 * WINDOW.telemetryBatches * WINDOW.maxReadings);
    expect(rssOutage - rssStart).toBeLessThan(60);
  });
});
