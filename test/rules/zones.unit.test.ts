import { describe, expect, it } from 'vitest';
import { zoneSchema } from '../../gateway/config/schema/zones.js';
import { CrowdLevels, levelsFor } from '../../gateway/rules/crowd-levels.js';
import { ZoneOccupancy } from '../../gateway/rules/zone-occupancy.js';

const zone = zoneSchema.parse({
  id: 'cbd-square',
  lines: [
    { device: 'gate-1', in: 'people.in', out: 'people.out' },
    { device: 'gate-2', in: 'in', out: 'out', reversed: true },
    { device: 'cam-3', in: 'count.in', counts: 'interval' },
  ],
  thresholds: {
    default: [
      { level: 3, at: 30_000 },
      { level: 2, at: 40_000 },
      { level: 1, at: 50_000 },
    ],
    emergency: [{ level: 1, at: 45_000 }],
  },
  hysteresis: 1000,
});

let n = 0;
const id = () => `r${n++}`;
/** Readings a minute apart: a line may count 20/s × (60 + 5) s = 1 300 between two. */
let mono = 0;
const t = () => {
  mono += 60_000;
  return { mono, wall: 1_800_000_000_000 + mono };
};
const fresh = () => new ZoneOccupancy(zone, { occupancy: 0, lines: {}, recentIds: [], resetAt: 0 });

describe('zone occupancy', () => {
  it('takes deltas of cumulative counters, the first value being the baseline', () => {
    const z = fresh();
    z.apply(id(), 'gate-1', 'people.in', 1000, t());
    z.apply(id(), 'gate-1', 'people.out', 400, t());
    expect(z.occupancy).toBe(0);
    z.apply(id(), 'gate-1', 'people.in', 1250, t());
    z.apply(id(), 'gate-1', 'people.out', 450, t());
    expect(z.occupancy).toBe(200);
  });

  it('counts reversed lines the other way and interval counts as they come', () => {
    const z = fresh();
    z.apply(id(), 'gate-2', 'in', 0, t());
    z.apply(id(), 'gate-2', 'out', 0, t());
    z.apply(id(), 'gate-2', 'out', 30, t()); // its "out" enters the zone
    z.apply(id(), 'cam-3', 'count.in', 12, t());
    z.apply(id(), 'cam-3', 'count.in', 8, t());
    expect(z.occupancy).toBe(50);
  });

  it('never goes negative', () => {
    const z = fresh();
    z.apply(id(), 'gate-1', 'people.out', 0, t());
    z.apply(id(), 'gate-1', 'people.out', 500, t());
    expect(z.occupancy).toBe(0);
  });

  it('does not count a repeated reading twice', () => {
    const z = fresh();
    z.apply('a', 'cam-3', 'count.in', 10, t());
    z.apply('a', 'cam-3', 'count.in', 10, t());
    expect(z.occupancy).toBe(10);
  });

  it('takes a drop to near zero as a reset; a jump or a drop to a middle value counts only once confirmed', () => {
    const z = fresh();
    z.apply(id(), 'gate-1', 'people.in', 90_000, t());
    z.apply(id(), 'gate-1', 'people.in', 90_100, t());
    const reset = z.apply(id(), 'gate-1', 'people.in', 20, t());
    expect(reset.anomaly?.kind).toBe('reset');
    expect(z.occupancy).toBe(120);
    const jump = z.apply(id(), 'gate-1', 'people.in', 10_000, t());
    expect(jump).toMatchObject({ entered: 0, anomaly: { kind: 'implausible', from: 20, to: 10_000, change: 9_980, allowed: 1_300 } });
    z.apply(id(), 'gate-1', 'people.in', 10_010, t());
    const confirmed = z.apply(id(), 'gate-1', 'people.in', 10_020, t());
    expect(confirmed).toMatchObject({ entered: 20, anomaly: { kind: 'rebased' } });
    expect(z.occupancy).toBe(140);
    expect(z.apply(id(), 'gate-1', 'people.in', 5_000, t()).anomaly?.kind).toBe('implausible'); // a drop, but not to near zero
    expect(z.apply(id(), 'gate-1', 'people.in', 10_030, t())).toMatchObject({ entered: 10 });
    expect(z.occupancy).toBe(150);
  });

  it('keeps its state in a snapshot a restart restores, and reads the older saved form', () => {
    const z = fresh();
    z.apply('x1', 'gate-1', 'people.in', 100, t());
    z.apply('x2', 'gate-1', 'people.in', 150, t());
    const restored = new ZoneOccupancy(zone, JSON.parse(JSON.stringify(z.snapshot())));
    restored.apply('x2', 'gate-1', 'people.in', 150, t()); // a duplicate after the restart
    restored.apply('x3', 'gate-1', 'people.in', 160, t());
    expect(restored.occupancy).toBe(60);
    const older = new ZoneOccupancy(zone, { occupancy: 60, lastTotals: { 'gate-1/people.in': 160 }, recentIds: [], resetAt: 0 });
    older.apply(id(), 'gate-1', 'people.in', 170, t());
    expect(older.occupancy).toBe(70);
  });
});

describe('crowd levels', () => {
  it('activates each level crossed in order and clears with hysteresis', () => {
    const levels = new CrowdLevels(1000);
    const list = levelsFor(zone, 'holiday');
    expect(levels.update(29_999, list)).toEqual([]);
    expect(levels.update(41_000, list).map((c) => `${c.level}:${c.state}`)).toEqual(['3:active', '2:active']);
    expect(levels.update(52_000, list)).toMatchObject([{ level: 1, state: 'active', severity: 'critical', threshold: 50_000 }]);
    expect(levels.current).toBe(1);
    expect(levels.update(49_500, list)).toEqual([]); // within hysteresis
    expect(levels.update(48_900, list).map((c) => `${c.level}:${c.state}`)).toEqual(['1:cleared']);
    expect(levels.update(10_000, list).map((c) => `${c.level}:${c.state}`)).toEqual(['2:cleared', '3:cleared']);
    expect(levels.current).toBeUndefined();
  });

  it('uses the thresholds of the current mode', () => {
    const levels = new CrowdLevels(1000);
    expect(levels.update(46_000, levelsFor(zone, 'emergency')).map((c) => c.level)).toEqual([1]);
    // Back in holiday mode: level 1 (at 50 000) no longer holds, levels 3 and 2 do.
    const changes = levels.update(46_000, levelsFor(zone, 'holiday')).map((c) => `${c.level}:${c.state}`);
    expect(changes).toEqual(['3:active', '2:active', '1:cleared']);
  });

  it('refuses thresholds out of order and levels defined twice', () => {
    const bad = zoneSchema.safeParse({
      id: 'z',
      lines: [{ device: 'd', in: 'i' }],
      thresholds: {
        default: [
          { level: 1, at: 100 },
          { level: 2, at: 200 },
        ],
      },
    });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toMatch(/must be above level 2/);
    const twice = zoneSchema.safeParse({ id: 'z', lines: [{ device: 'd', in: 'i' }], thresholds: { party: [{ level: 1, at: 100 }] } });
    expect(JSON.stringify(twice.error?.issues)).toMatch(/party.{1,2} is not a mode/);
  });
});
