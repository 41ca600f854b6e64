import { describe, expect, it } from 'vitest';
import { CounterTracker } from '../../drivers/mqtt/counter-tracker.js';
import { parseDeviceTime } from '../../drivers/mqtt/device-time.js';

/** Readings 10 s apart on both clocks (the plausible increase is then 20/s × (10 + 5) s = 300). */
function clock() {
  let t = 0;
  return () => {
    t += 10_000;
    return { mono: t, wall: 1_800_000_000_000 + t };
  };
}

describe('MQTT counters', () => {
  it('turn a cumulative count into a continuous total across a midnight reset', () => {
    const at = clock();
    const c = new CounterTracker('cumulative');
    expect(c.next(1000, undefined, at())).toEqual({ kind: 'counted', total: 1000, delta: undefined });
    expect(c.next(1010, undefined, at())).toEqual({ kind: 'counted', total: 1010, delta: 10 });
    expect(c.next(1010, undefined, at())).toEqual({ kind: 'counted', total: 1010, delta: 0 }); // same message twice: no double count
    expect(c.next(3, undefined, at())).toEqual({ kind: 'counted', total: 1013, delta: 3, event: 'reset' });
    expect(c.next(8, undefined, at())).toEqual({ kind: 'counted', total: 1018, delta: 5 });
  });

  it('go on through a 16-bit wrap; a drop to a middle value is not a reset until confirmed', () => {
    const at = clock();
    const c = new CounterTracker('cumulative', 65_536);
    c.next(65_530, undefined, at());
    expect(c.next(4, undefined, at())).toEqual({ kind: 'counted', total: 65_540, delta: 10, event: 'wrap' });
    c.next(30_000, undefined, at()); // implausible jump, pending
    c.next(30_010, undefined, at());
    expect(c.next(30_020, undefined, at())).toMatchObject({ kind: 'counted', delta: 20, event: 'rebased' });
    expect(c.next(20_000, undefined, at())).toMatchObject({ kind: 'implausible' });
  });

  it('skip out-of-order readings and count interval readings once per interval', () => {
    const at = clock();
    const c = new CounterTracker('cumulative');
    c.next(100, 2_000, at());
    expect(c.next(90, 1_000, at())).toBe('out-of-order');
    expect(c.next(105, 3_000, at())).toEqual({ kind: 'counted', total: 105, delta: 5 });

    const i = new CounterTracker('interval');
    expect(i.next(12, 60_000, at())).toEqual({ kind: 'counted', total: 12, delta: 12 });
    expect(i.next(12, 60_000, at())).toBe('duplicate');
    expect(i.next(7, 120_000, at())).toEqual({ kind: 'counted', total: 19, delta: 7 });
    expect(i.next(5, 60_000, at())).toBe('out-of-order');
  });

  it('go on from a stored state (a restart neither re-bases nor double counts)', () => {
    const at = clock();
    const c = new CounterTracker('cumulative');
    c.next(100, 1_000, at());
    c.next(5, 2_000, at()); // reset: total 105
    const stored = JSON.parse(JSON.stringify(c.state));
    const after = new CounterTracker('cumulative', 2 ** 32, undefined, stored);
    expect(after.next(9, 3_000, at())).toEqual({ kind: 'counted', total: 109, delta: 4 });
    expect(after.next(8, 1_500, at())).toBe('out-of-order'); // the guard's time survives too
    // a stored state of the other kind is not used
    expect(new CounterTracker('interval', 2 ** 32, undefined, stored).state).toEqual({ kind: 'interval', total: 0 });
  });

  it('read device times as ISO 8601 or epoch seconds / milliseconds', () => {
    const t = Date.UTC(2026, 10, 27, 1, 2, 3);
    expect(parseDeviceTime('2026-11-27T01:02:03Z', 'auto')).toBe(t);
    expect(parseDeviceTime('2026-11-27T09:02:03+08:00', 'auto')).toBe(t);
    expect(parseDeviceTime(t / 1000, 'auto')).toBe(t);
    expect(parseDeviceTime(t, 'auto')).toBe(t);
    expect(parseDeviceTime(t / 1000, 'epoch-s')).toBe(t);
    expect(parseDeviceTime(String(t), 'epoch-ms')).toBe(t);
    expect(parseDeviceTime('27/11/2026 01:02', 'auto')).toMatch(/not an ISO 8601 time/);
    expect(parseDeviceTime('2026-11-27T01:02:03', 'auto')).toMatch(/with a zone/);
    expect(parseDeviceTime(0, 'auto')).toMatch(/outside 2000\.\.2100/);
    expect(parseDeviceTime(true, 'auto')).toMatch(/is not a time/);
  });
});
