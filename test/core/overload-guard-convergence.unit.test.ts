import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../gateway/core/logger.js';
import type { DeviceKind } from '../../gateway/core/model.js';
import type { RawSample } from '../../gateway/devices/driver.js';
import { OverloadGuard, type OverloadStatus } from '../../gateway/pipeline/overload-guard.js';

/**
 * The overload guard as a control loop against a fake plant (no timers, no wall clock): a gateway
 * whose one core carries `capacity` readings/s, offered `offered` readings/s by low-priority
 * Modbus devices whose pollers stretch their intervals by the guard's factor. Per tick the plant
 * reports the event loop's utilization (offered / factor / capacity, at most 1) and the age of
 * the telemetry backlog (it grows while more comes in than goes out; while it drains the loop is
 * fully busy, as it was in the harness, where stretching on that alone overshot). Session 4's guard doubled
 * up to ×32 on such signals and took 500,000 readings/s nominal to 8,968/s delivered.
 */
function plant(capacity: number) {
  const state = { offered: 0, backlog: 0, ticks: 0, ageLag: 0, delivered: 0 };
  const kinds: Record<string, DeviceKind> = { meter: 'modbus', counter: 'people-counter' };
  const changes: OverloadStatus[] = [];
  let guard!: OverloadGuard;
  const carried = () => state.offered / guard.stretchFor('meter');
  guard = new OverloadGuard({
    signals: {
      connected: () => true,
      // Seconds of readings waiting (at the rate they go out) as the age of the oldest.
      backlogAgeMs: () => (state.backlog / capacity) * 1000 + state.ageLag,
      backlogReadings: () => state.backlog,
      deliveredReadings: () => state.delivered,
      capacityUsed: () => 0,
      commitBusyMs: () => 0,
      kindOf: (d) => kinds[d],
      // Busy with what comes in, and fully busy while a backlog drains (what overshot in the harness).
      loopUtilization: () => (state.backlog > 0 ? 1 : Math.min(1, carried() / capacity)),
    },
    log: silentLogger(),
    onChange: (s) => changes.push(s),
    onShed: () => {},
  });
  /** One second: the backlog moves by what came in minus what one core carries; then the guard looks. */
  const second = () => {
    const out = Math.min(capacity, state.backlog + carried());
    state.delivered += out;
    state.backlog = state.backlog + carried() - out;
    state.ticks++;
    guard.tick();
    return guard.status().keepOneIn;
  };
  return { guard, state, changes, second, carried };
}

describe('the overload guard converges to what the box can carry', () => {
  it('at 500,000 readings/s nominal on a core that carries 150,000: stretches in fine steps to ×3.3–4 (not ×32), holds there, and says so once', () => {
    const p = plant(150_000);
    p.state.offered = 500_000;
    const factors: number[] = [];
    for (let i = 0; i < 60; i++) factors.push(p.second());
    // Never far past what is needed: 500,000 / 150,000 = ×3.33.
    expect(Math.max(...factors)).toBeLessThan(5);
    // Converged: the last 30 s carry 85–100 % of one core, none of them overloaded by more.
    for (const k of factors.slice(-30)) {
      const carried = 500_000 / k;
      expect(carried).toBeGreaterThanOrEqual(0.85 * 150_000);
      expect(carried).toBeLessThanOrEqual(1.0 * 150_000 * 1.25);
    }
    // Within a few seconds of the overload being seen (3 ticks): the first step is by the ratio
    // of what comes in to what goes out (here ×1.85, at most ×2), then ×1.25 a second; ×1.25 from
    // the start took two seconds more, with more backlog piling up.
    expect(factors.findIndex((k) => 500_000 / k <= 150_000)).toBeLessThanOrEqual(6);
    // One overload, one warning/event; the cause is the saturated loop, with a figure.
    expect(p.changes).toHaveLength(1);
    expect(p.changes[0]).toMatchObject({ overloaded: true, cause: { code: 'cpu' } });
    expect(p.changes[0]!.reason).toMatch(/busy \d+ % of the time/);
    // The people counter is never stretched.
    expect(p.guard.stretchFor('counter')).toBe(1);
  });

  it('does not overshoot on a backlog age that lags: the count of readings waiting says when the stretch is enough', () => {
    const p = plant(150_000);
    p.state.offered = 500_000;
    const factors: number[] = [];
    for (let i = 0; i < 40; i++) {
      // The oldest waiting readings came in at the old rate: their age goes on growing for
      // seconds after the stretch is enough and the count falls (in the harness it grew from 3
      // to 9 s while ×1.25 became ×6, and on to ×12).
      p.state.ageLag = i >= 8 && i < 16 ? (i - 7) * 1000 : 0;
      factors.push(p.second());
    }
    expect(Math.max(...factors)).toBeLessThan(5);
    expect(500_000 / factors.at(-1)!).toBeGreaterThanOrEqual(0.85 * 150_000);
  });

  it('steps back as soon as the load falls, and the overload ends when every poll is kept again', () => {
    const p = plant(150_000);
    p.state.offered = 500_000;
    for (let i = 0; i < 40; i++) p.second();
    expect(p.guard.status().overloaded).toBe(true);
    // The load falls to 100,000/s (67 % of the core). While what waits drains the loop stays
    // busy and the stretch is held; from then on it steps back every second, not after 5 calm
    // seconds per halving.
    p.state.offered = 100_000;
    const back: number[] = [];
    let drainedAt = -1;
    for (let i = 0; i < 60 && p.guard.status().overloaded; i++) {
      back.push(p.second());
      if (drainedAt < 0 && p.state.backlog === 0) drainedAt = i;
    }
    expect(p.guard.status()).toMatchObject({ overloaded: false, keepOneIn: 1 });
    expect(drainedAt).toBeGreaterThanOrEqual(0);
    expect(back.length - drainedAt).toBeLessThanOrEqual(16);
    // Monotonic on the way back: no step up while the loop has room.
    for (let i = 1; i < back.length; i++) expect(back[i]!).toBeLessThanOrEqual(back[i - 1]!);
    expect(p.changes.map((c) => c.overloaded)).toEqual([true, false]);
  });

  it('one saturated second is not overload (two in a row, then three ticks of pressure, are)', () => {
    const p = plant(150_000);
    p.state.offered = 100_000;
    for (let i = 0; i < 10; i++) {
      p.state.offered = i % 2 === 0 ? 300_000 : 100_000; // every other second saturated
      p.state.backlog = 0;
      p.second();
    }
    expect(p.changes).toEqual([]);
    expect(p.guard.status().keepOneIn).toBe(1);
  });

  it('a driver that cannot stretch is thinned by the fractional factor, with counts', () => {
    const kinds: Record<string, DeviceKind> = { synthetic: 'other' };
    let shed = 0;
    let busy = 1;
    const guard = new OverloadGuard({
      signals: {
        connected: () => true,
        backlogAgeMs: () => 0,
        capacityUsed: () => 0,
        commitBusyMs: () => 0,
        kindOf: (d) => kinds[d],
        loopUtilization: () => busy,
      },
      log: silentLogger(),
      onChange: () => {},
      onShed: (n) => {
        shed += n;
      },
    });
    // Saturated: two ticks to see it, three of pressure to begin (×1.25), two steps more: ×1.95.
    for (let i = 0; i < 6; i++) guard.tick();
    busy = 0.9; // within the band: held
    guard.tick();
    const k = guard.status().keepOneIn;
    expect(k).toBeCloseTo(1.95, 2);
    const poll = (): RawSample[] => Array.from({ length: 10 }, (_, i) => ({ device: 'synthetic', point: `r${i}`, ts: 1, raw: i }));
    const kept = Array.from({ length: 1000 }, () => guard.admit(poll())).filter(Boolean).length;
    expect(kept).toBeGreaterThanOrEqual(Math.floor(1000 / k) - 1);
    expect(kept).toBeLessThanOrEqual(Math.ceil(1000 / k) + 1);
    expect(shed).toBe((1000 - kept) * 10);
  });
});
