import { afterAll, describe, expect, it, vi } from 'vitest';
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
    // The broker goes first: a batch the gateway sends after the recorder left but before the
    // broker stopped would be acknowledged and then lost with the broker's memory (the test's
    // own race, not the gateway's). Stopped first, the broker takes the link down for both.
    await broker.stop();
    await platform.stop();
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
    await platform.until(all, 40_000, 'everything accepted').catch((err: Error) => {
      const v = judge(merged, snapshot);
      throw new Error(`${err.message}: lost ${v.lostReadings} readings, ${v.lostEvents} events`);
    });
    const verdict = judge(merged, snapshot);
    expect(verdict.gaps.event).toEqual([]);
    const contract = contractValidator();
    for (const m of platform.messages)
      if (m.kind === 'telemetry' || m.kind === 'event' || m.kind === 'state') expect(contract.check(m.kind, m.doc)).toBeUndefined();
    expect(gateway.status().zones[0]?.occupancy).toBeGreaterThanOrEqual(0);
  });
});

describe('fault injection: a wall-clock step back of 1 h in a running gateway', () => {
  const tmp = tempDir();
  let broker: PlatformBroker;
  let platform: PlatformRecorder;
  let gateway: Gateway;
  afterAll(async () => {
    await gateway?.stop();
    await platform?.stop();
    await broker?.stop();
    tmp.cleanup();
  });

  it('delivers a repeated alert once the storm window (1 s, monotonic) is over, not an hour later', async () => {
    broker = await startPlatformBroker();
    platform = new PlatformRecorder(broker.url);
    await platform.start();
    const clock = new JumpingClock(); // no monotonic(): the gateway falls back to performance.now()
    const raw = testConfig(broker.url, tmp.dir, { rules: { suppression: { windowMs: 1000 } } });
    const r = validateConfig(raw, { baseDir: tmp.dir, env: {} });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    gateway = new Gateway({ config: r.loaded.config, baseDir: tmp.dir, log: silentLogger(), env: {}, clock });
    await gateway.start();
    const alert = { type: 'tamper', state: 'active' as const, severity: 'major' as const, source: { device: 'env-1' } };
    const first = gateway.raiseEvent(alert);
    expect(first).toBeDefined();
    clock.offsetMs = -3_600_000;
    expect(gateway.raiseEvent(alert)).toBeUndefined(); // inside the window: suppressed, and counted
    let second: string | undefined;
    // Before the fix the window was measured on the stepped wall clock: suppressed for an hour.
    await vi.waitFor(
      () => {
        second = gateway.raiseEvent(alert);
        expect(second).toBeDefined();
      },
      { timeout: 20_000, interval: 100 },
    );
    const delivered = () => platform.messages.filter((m) => m.kind === 'event' && (m.doc?.id === first || m.doc?.id === second));
    await platform.until(() => delivered().length === 2, 15_000, 'both alerts delivered');
    const repeat = delivered().find((m) => m.doc?.id === second)!;
    expect((repeat.doc?.data as { suppressed?: number } | undefined)?.suppressed).toBeGreaterThanOrEqual(1);
    expect(Date.parse(String(repeat.doc?.ts))).toBeLessThan(Date.now() - 3_500_000); // stamped with the stepped wall clock
  });
});
