import { describe, expect, it } from 'vitest';
import { firstTick, phaseSlots } from '../../drivers/modbus/device-poller.js';

/** The modbus driver's stagger for its k-th device (modbus-driver.ts). */
const stagger = (k: number) => (k * 0.618_034) % 1;

describe('poll phases: devices spread over a few slots of their interval, aligned on the monotonic clock', () => {
  it('puts 50 devices of 1 s into 4 slots, each a quarter apart, every first tick within one interval', () => {
    // Devices are added one after another: `now` moves on a little between them.
    const ticks = Array.from({ length: 50 }, (_, k) => {
      const now = 123_456.789 + k * 3.7;
      const at = firstTick(now, 1000, stagger(k));
      expect(at).toBeGreaterThanOrEqual(now);
      expect(at).toBeLessThan(now + 1000);
      return at;
    });
    const phases = new Set(ticks.map((t) => t % 1000));
    expect([...phases].sort((a, b) => a - b)).toEqual([0, 250, 500, 750]);
    // Spread, not all in one slot: each slot gets a fair share.
    for (const p of phases) expect(ticks.filter((t) => t % 1000 === p).length).toBeGreaterThanOrEqual(10);
  });

  it('at least 4 slots (a fast site is not polled in one burst), at most 8 for long intervals', () => {
    expect(phaseSlots(50)).toBe(4);
    expect(phaseSlots(100)).toBe(4);
    expect(phaseSlots(500)).toBe(4);
    expect(phaseSlots(1000)).toBe(4);
    expect(phaseSlots(2000)).toBe(8);
    expect(phaseSlots(5000)).toBe(8);
    const at100 = new Set(Array.from({ length: 50 }, (_, k) => firstTick(5_000.5 + k, 100, stagger(k)) % 100));
    expect(at100).toEqual(new Set([0, 25, 50, 75]));
    const at5s = new Set(Array.from({ length: 100 }, (_, k) => firstTick(10, 5000, stagger(k)) % 5000));
    expect(at5s.size).toBe(8);
  });

  it('slow groups (over 5 s) are not aligned: spread over 90 % of their interval from now, the first device at once', () => {
    expect(firstTick(1234.5, 60_000, 0)).toBe(1234.5);
    const ticks = Array.from({ length: 100 }, (_, k) => firstTick(1000, 60_000, stagger(k)));
    for (const t of ticks) expect(t - 1000).toBeLessThanOrEqual(54_000);
    expect(new Set(ticks).size).toBe(100);
  });

  it('devices added at different times land on the same grid (one wake-up per slot, not one per device)', () => {
    const early = firstTick(1_000, 1000, 0.1);
    const late = firstTick(987_654.3, 1000, 0.2);
    expect((late - early) % 1000).toBe(0);
  });
});
