import { describe, expect, it } from 'vitest';
import { CounterTracker } from '../../drivers/mqtt/counter-tracker.js';
import { parseDeviceTime } from '../../drivers/mqtt/device-time.js';

describe('MQTT counters', () => {
  it('turn a cumulative count into a continuous total across a midnight reset', () => {
    const c = new CounterTracker('cumulative');
    expect(c.next(1000, undefined)).toEqual({ total: 1000, delta: undefined });
    expect(c.next(1010, undefined)).toEqual({ total: 1010, delta: 10 });
    expect(c.next(1010, undefined)).toEqual({ total: 1010, delta: 0 }); // same message twice: no double count
    expect(c.next(3, undefined)).toEqual({ total: 1013, delta: 3, event: 'reset' });
    expect(c.next(8, undefined)).toEqual({ total: 1018, delta: 5 });
  });

  it('go on through a 16-bit wrap', () => {
    const c = new CounterTracker('cumulative', 65_536);
    c.next(65_530, undefined);
    expect(c.next(4, undefined)).toEqual({ total: 65_540, delta: 10, event: 'wrap' });
    // a drop that is not from the top quarter into the bottom one is a reset, not a wrap
    c.next(30_000, undefined);
    expect(c.next(20_000, undefined)).toMatchObject({ delta: 20_000, event: 'reset' });
  });

  it('skip out-of-order readings and count interval readings once per interval', () => {
    const c = new CounterTracker('cumulative');
    c.next(100, 2_000);
    expect(c.next(90, 1_000)).toBe('out-of-order');
    expect(c.next(105, 3_000)).toEqual({ total: 105, delta: 5 });

    const i = new CounterTracker('interval');
    expect(i.next(12, 60_000)).toEqual({ total: 12, delta: 12 });
    expect(i.next(12, 60_000)).toBe('duplicate');
    expect(i.next(7, 120_000)).toEqual({ total: 19, delta: 7 });
    expect(i.next(5, 60_000)).toBe('out-of-order');
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
