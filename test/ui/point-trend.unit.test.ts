import { describe, expect, it } from 'vitest';
import { PointTrend } from '../../gateway/ui/point-trend.js';

type R = { device: string; point: string; value: unknown; ts: string; quality?: string };
type Options = { perPoint: number; minGapMs: number; spanMs: number; maxPoints: number };

/** The JS-array PointTrend before the typed rings (session 4), kept as the oracle of the answers. */
class ArrayTrend {
  private readonly series = new Map<string, Map<string, { t: number[]; v: number[] }>>();
  private points = 0;
  constructor(private readonly o: Options) {}
  onReadings(readings: readonly R[]): void {
    for (const r of readings) {
      if (typeof r.value !== 'number' || r.quality === 'bad') continue;
      let device = this.series.get(r.device);
      let s = device?.get(r.point);
      if (!s) {
        if (this.points >= this.o.maxPoints) continue;
        if (!device) {
          device = new Map();
          this.series.set(r.device, device);
        }
        s = { t: [], v: [] };
        device.set(r.point, s);
        this.points++;
      }
      const at = Date.parse(r.ts);
      const last = s.t.length - 1;
      if (last >= 0 && at - s.t[last]! < this.o.minGapMs) {
        s.v[last] = r.value;
        continue;
      }
      s.t.push(at);
      s.v.push(r.value);
      if (s.t.length > this.o.perPoint) {
        s.t.shift();
        s.v.shift();
      }
    }
  }
  forDevice(device: string, now: number): Record<string, Array<[number, number]>> {
    const out: Record<string, Array<[number, number]>> = {};
    for (const [point, s] of this.series.get(device) ?? []) {
      const pairs: Array<[number, number]> = [];
      for (let i = 0; i < s.t.length; i++) if (s.t[i]! >= now - this.o.spanMs) pairs.push([s.t[i]!, s.v[i]!]);
      out[point] = pairs;
    }
    return out;
  }
}

/** A small deterministic generator (mulberry32), so a failure repeats. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('PointTrend: typed rings give the answers the arrays gave', () => {
  it.each([
    { seed: 1, perPoint: 60, minGapMs: 5_000, spanMs: 600_000, maxPoints: 5_000 },
    { seed: 2, perPoint: 5, minGapMs: 1_000, spanMs: 8_000, maxPoints: 7 },
    { seed: 3, perPoint: 1, minGapMs: 0, spanMs: 3_000, maxPoints: 300 },
    { seed: 4, perPoint: 7, minGapMs: 2_500, spanMs: 20_000, maxPoints: 129 },
  ])('random polls, late and repeated times, bad and non-numeric values (seed $seed, $perPoint per point)', ({ seed, ...o }) => {
    const rnd = random(seed);
    const ring = new PointTrend(o);
    const oracle = new ArrayTrend(o);
    const devices = ['d0', 'd1', 'd2', 'd3', 'd4'];
    let now = Date.UTC(2026, 10, 30, 6, 0, 0);
    for (let poll = 0; poll < 600; poll++) {
      // Mostly forward in 0-3 s steps, sometimes a step back (a device clock) or the same time again.
      const step = rnd();
      now += step < 0.05 ? -4_000 : step < 0.15 ? 0 : Math.floor(rnd() * 3_000);
      const device = devices[Math.floor(rnd() * devices.length)]!;
      const ts = new Date(now).toISOString();
      const batch: R[] = [];
      const points = 1 + Math.floor(rnd() * 60);
      for (let p = 0; p < points; p++) {
        const kind = rnd();
        const value = kind < 0.05 ? 'on' : kind < 0.1 ? null : kind < 0.5 ? Math.floor(rnd() * 65_536) : (rnd() - 0.5) * 1e6;
        batch.push({ device, point: `p${Math.floor(rnd() * 80)}`, value, ts, quality: kind > 0.97 ? 'bad' : 'good' });
      }
      ring.onReadings(batch);
      oracle.onReadings(batch);
      if (poll % 50 === 49) {
        for (const d of [...devices, 'nobody']) expect(ring.forDevice(d, now)).toEqual(oracle.forDevice(d, now));
      }
    }
    for (const d of devices) {
      expect(ring.forDevice(d, now + o.spanMs / 2)).toEqual(oracle.forDevice(d, now + o.spanMs / 2));
    }
  });

  it('keeps the newest samples, the newest value within the gap, and at most maxPoints points', () => {
    const trend = new PointTrend({ perPoint: 3, minGapMs: 1_000, spanMs: 60_000, maxPoints: 2 });
    const t0 = Date.UTC(2026, 10, 30, 6, 0, 0);
    const at = (ms: number) => new Date(t0 + ms).toISOString();
    for (let i = 0; i < 5; i++) trend.onReadings([{ device: 'd', point: 'p', value: i, ts: at(i * 1_000) }]);
    trend.onReadings([{ device: 'd', point: 'p', value: 40, ts: at(4_500) }]);
    trend.onReadings([
      { device: 'd', point: 'q', value: 1, ts: at(5_000) },
      { device: 'e', point: 'r', value: 1, ts: at(5_000) },
    ]);
    expect(trend.forDevice('d', t0 + 10_000)).toEqual({
      p: [
        [t0 + 2_000, 2],
        [t0 + 3_000, 3],
        [t0 + 4_000, 40],
      ],
      q: [[t0 + 5_000, 1]],
    });
    expect(trend.forDevice('e', t0 + 10_000)).toEqual({});
  });

  it('allocates its storage once per point, never more than maxPoints × perPoint × 16 bytes', () => {
    const o = { perPoint: 60, minGapMs: 5_000, spanMs: 600_000, maxPoints: 300 };
    const trend = new PointTrend(o);
    const t0 = Date.UTC(2026, 10, 30, 6, 0, 0);
    const poll = (k: number, points: number) =>
      Array.from({ length: points }, (_, i) => ({ device: `dev${i % 10}`, point: `r${i}`, value: k + i, ts: new Date(t0 + k * 5_000).toISOString() }));
    trend.onReadings(poll(0, 100));
    const after100 = trend.allocatedBytes;
    expect(after100).toBeGreaterThanOrEqual(100 * 60 * 16);
    for (let k = 1; k < 200; k++) trend.onReadings(poll(k, 100));
    expect(trend.allocatedBytes).toBe(after100); // 200 samples per point into rings of 60: nothing grows
    for (let k = 200; k < 210; k++) trend.onReadings(poll(k, 1_000));
    expect(trend.allocatedBytes).toBe(300 * 60 * 16); // 1,000 points offered, 300 kept, exactly
    expect(trend.forDevice('dev3', t0 + 210 * 5_000).r3).toHaveLength(60);
  });

  it('refuses a ring of no samples', () => {
    expect(() => new PointTrend({ perPoint: 0, minGapMs: 1, spanMs: 1, maxPoints: 1 })).toThrow(/perPoint/);
  });
});
