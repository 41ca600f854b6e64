/** Points whose rings share one Float64Array: few backing stores, none per point. */
const POINTS_PER_SLAB = 128;

/** One point's ring: `perPoint` times then `perPoint` values from `base` in `slab`. */
interface Ring {
  readonly slab: Float64Array;
  readonly base: number;
  /** Index (0..perPoint-1) of the oldest sample. */
  head: number;
  /** Samples held (0..perPoint). */
  n: number;
}

/**
 * The last minutes of every numeric point, for the small trend beside each live value. Bounded:
 * at most `perPoint` samples (one per `minGapMs`) per point and `maxPoints` points.
 *
 * Each point's samples are a fixed ring of `perPoint` times and values (ms epoch, float64) in a
 * typed slab shared by 128 points, allocated when the point is first seen and never grown: 5 000
 * points × 60 samples cost 4.8 MB outside the V8 heap, reached at once and flat afterwards. The
 * JS arrays before (push and shift per sample) held ~7 MB of the old generation after 5 minutes,
 * left garbage behind each `shift`, and were marked by every major GC (docs/performance.md,
 * "Session 5: nominal site").
 */
export class PointTrend {
  /** device → point → ring: a device's trends are read without scanning every point. */
  private readonly series = new Map<string, Map<string, Ring>>();
  private points = 0;
  private slab: Float64Array | undefined;
  private slabUsed = 0;
  private slabPoints = 0;
  private allocated = 0;

  constructor(
    private readonly o: { perPoint: number; minGapMs: number; spanMs: number; maxPoints: number } = {
      perPoint: 60,
      minGapMs: 5_000,
      spanMs: 600_000,
      maxPoints: 5_000,
    },
  ) {
    if (!Number.isInteger(o.perPoint) || o.perPoint < 1) throw new RangeError(`PointTrend perPoint must be a positive integer, got ${o.perPoint}`);
  }

  onReadings(readings: ReadonlyArray<{ device: string; point: string; value: unknown; ts: string; quality?: string }>): void {
    const per = this.o.perPoint;
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
        s = this.newRing();
        device.set(r.point, s);
        this.points++;
      }
      if (r.ts !== lastTs) {
        lastTs = r.ts;
        lastAt = Date.parse(r.ts);
      }
      const at = lastAt;
      const { slab, base } = s;
      if (s.n > 0) {
        const newest = base + ((s.head + s.n - 1) % per);
        if (at - slab[newest]! < this.o.minGapMs) {
          // Too close to the previous sample: the newest value wins (the trend is for the eye).
          slab[newest + per] = r.value;
          continue;
        }
      }
      let slot: number;
      if (s.n < per) {
        slot = (s.head + s.n) % per;
        s.n++;
      } else {
        // Full: the oldest sample gives its place.
        slot = s.head;
        s.head = (s.head + 1) % per;
      }
      slab[base + slot] = at;
      slab[base + per + slot] = r.value;
    }
  }

  /** The samples of one device's points within the span, as [ms, value] pairs per point. */
  forDevice(device: string, now = Date.now()): Record<string, Array<[number, number]>> {
    const per = this.o.perPoint;
    const out: Record<string, Array<[number, number]>> = {};
    for (const [point, s] of this.series.get(device) ?? []) {
      const pairs: Array<[number, number]> = [];
      for (let i = 0; i < s.n; i++) {
        const at = s.base + ((s.head + i) % per);
        if (s.slab[at]! >= now - this.o.spanMs) pairs.push([s.slab[at]!, s.slab[at + per]!]);
      }
      out[point] = pairs;
    }
    return out;
  }

  /** Bytes of sample storage allocated so far: at most maxPoints × perPoint × 16. */
  get allocatedBytes(): number {
    return this.allocated;
  }

  private newRing(): Ring {
    const width = this.o.perPoint * 2;
    if (!this.slab || this.slabUsed === this.slabPoints) {
      // The last slab is cut to the points still allowed, so the total never exceeds maxPoints rings.
      this.slabPoints = Math.min(POINTS_PER_SLAB, this.o.maxPoints - this.points);
      this.slab = new Float64Array(this.slabPoints * width);
      this.slabUsed = 0;
      this.allocated += this.slab.byteLength;
    }
    return { slab: this.slab, base: this.slabUsed++ * width, head: 0, n: 0 };
  }
}
