/**
 * The last minutes of every numeric point, for the small trend beside each live value. Bounded:
 * at most `perPoint` samples (one per `minGapMs`) per point and `maxPoints` points, so 2 000 points
 * cost ~2 000 × 60 × 2 numbers.
 */
export class PointTrend {
  /** device → point → samples: a device's trends are read without scanning every point. */
  private readonly series = new Map<string, Map<string, { t: number[]; v: number[] }>>();
  private points = 0;

  constructor(
    private readonly o: { perPoint: number; minGapMs: number; spanMs: number; maxPoints: number } = {
      perPoint: 60,
      minGapMs: 5_000,
      spanMs: 600_000,
      maxPoints: 5_000,
    },
  ) {}

  onReadings(readings: ReadonlyArray<{ device: string; point: string; value: unknown; ts: string; quality?: string }>): void {
    // A poll's readings share one time string: parse it once (a Date.parse per reading was 2-4 % of busy time).
    let lastTs = '';
    let lastAt = Number.NaN;
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
      if (r.ts !== lastTs) {
        lastTs = r.ts;
        lastAt = Date.parse(r.ts);
      }
      const at = lastAt;
      const last = s.t.length - 1;
      if (last >= 0 && at - s.t[last]! < this.o.minGapMs) {
        // Too close to the previous sample: the newest value wins (the trend is for the eye).
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

  /** The samples of one device's points within the span, as [ms, value] pairs per point. */
  forDevice(device: string, now = Date.now()): Record<string, Array<[number, number]>> {
    const out: Record<string, Array<[number, number]>> = {};
    for (const [point, s] of this.series.get(device) ?? []) {
      const pairs: Array<[number, number]> = [];
      for (let i = 0; i < s.t.length; i++) if (s.t[i]! >= now - this.o.spanMs) pairs.push([s.t[i]!, s.v[i]!]);
      out[point] = pairs;
    }
    return out;
  }
}
