import { afterAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../gateway/config/load-config.js';
import type { Clock } from '../../gateway/core/clock.js';
import { silentLogger } from '../../gateway/core/logger.js';
import { Gateway } from '../../gateway/daemon.js';
import { type PlatformBroker, startPlatformBroker } from '../../simulators/platform/platform-broker.js';
import { contractValidator } from '../helpers/contract.js';
import { tempDir, testConfig } from '../helpers/gateway-harness.js';
import { AcceptedSet, judge } from '../helpers/oracle.js';
import { PlatformRecorder } from '../helpers/platform.js';

/** The wall clock the gateway sees, which the test moves by whole days (NTP fixing a bad RTC). */
class JumpingClock implements Clock {
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
}

const DAY = 86_400_000;

describe('fault injection: wall-clock jumps of ±1 day', () => {
  const tmp = tempDir();
  let broker: PlatformBroker;
  const platforms: PlatformRecorder[] = [];
  let gateway: Gateway;
  afterAll(async () => {
    await gateway?.stop();
    for (const p of platforms) await p.stop();
    await broker?.stop();
    tmp.cleanup();
  });

  it('loses nothing, keeps seq, and stamps readings with the clock as it was', async () => {
    broker = await startPlatformBroker();
    const port = broker.port;
    let platform = new PlatformRecorder(broker.url);
    await platform.start();
    platforms.push(platform);
    const clock = new JumpingClock();
    const raw = testConfig(broker.url, tmp.dir, {
      zones: [{ id: 'z', lines: [{ device: 'env-1', in: 'power' }], thresholds: { default: [{ level: 1, at: 1_000_000_000 }] } }],
    });
    raw.platform = { url: broker.url, reconnect: { minDelayMs: 100, maxDelayMs: 1000 } };
    const r = validateConfig(raw, { baseDir: tmp.dir, env: {} });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    gateway = new Gateway({ config: r.loaded.config, baseDir: tmp.dir, log: silentLogger(), env: {}, clock });
    await gateway.start();
    const accepted = new AcceptedSet();
    gateway.bus.on('readings', (rs) => {
      for (const x of rs) accepted.readings.add(x.id);
    });
    gateway.bus.on('event', (e) => accepted.events.add(e.id));
    await platform.until(() => platform.readings().length > 50);

    clock.offsetMs = DAY; // forward a day
    await platform.until(() => platform.readings().some((x) => Date.parse(x.ts) > Date.now() + DAY / 2));
    await platform.stop();
    await broker.stop();
    clock.offsetMs = -DAY; // and back two, during an outage
    await new Promise((res) => setTimeout(res, 1000));
    let ready = false;
    broker = await startPlatformBroker({ port, admit: (id) => id !== 'gw-test-01' || ready });
    platform = new PlatformRecorder(broker.url);
    await platform.start();
    platforms.push(platform);
    ready = true;
    await platform.until(() => platform.readings().some((x) => Date.parse(x.ts) < Date.now() - DAY / 2));
    const snapshot = new AcceptedSet();
    for (const id of accepted.readings) snapshot.readings.add(id);
    for (const id of accepted.events) snapshot.events.add(id);
    const merged = new PlatformRecorder('');
    const all = () => {
      merged.messages.length = 0;
      merged.messages.push(...platforms.flatMap((p) => p.messages));
      const v = judge(merged, snapshot);
      return v.lostReadings === 0 && v.lostEvents === 0;
    };
    await platform.until(all, 20_000, 'everything accepted');
    const verdict = judge(merged, snapshot);
    expect(verdict.gaps.event).toEqual([]);
    const contract = contractValidator();
    for (const m of platform.messages) if (m.kind === 'telemetry' || m.kind === 'event' || m.kind === 'state') expect(contract.check(m.kind, m.doc)).toBeUndefined();
    expect(gateway.status().zones[0]?.occupancy).toBeGreaterThanOrEqual(0);
  });
});
