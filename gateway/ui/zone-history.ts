/** One bucket of a zone's occupancy: the highest and the last value seen in it, and the flow rates. */
export interface ZoneSample {
  /** Start of the bucket, ms since the epoch. */
  at: number;
  max: number;
  last: number;
  inflow: number;
  outflow: number;
}

/** A fixed number of time buckets; a sample updates the current bucket or starts a new one. */
class BucketRing {
  private readonly buckets: ZoneSample[] = [];

  constructor(
    readonly bucketMs: number,
    readonly capacity: number,
  ) {}

  add(at: number, occupancy: number, inflow: number, outflow: number): void {
    const start = Math.floor(at / this.bucketMs) * this.bucketMs;
    const last = this.buckets[this.buckets.length - 1];
    if (last && start <= last.at) {
      // The same bucket, or an older one (a late sample, a clock stepped back, history loaded at
      // start): update that bucket, or put a new one in its place in time.
      let i = this.buckets.length - 1;
      while (i > 0 && this.buckets[i]!.at > start) i--;
      const b = this.buckets[i]!;
      if (b.at === start) {
        b.max = Math.max(b.max, occupancy);
        b.last = occupancy;
        b.inflow = inflow;
        b.outflow = outflow;
      } else this.buckets.splice(b.at < start ? i + 1 : i, 0, { at: start, max: occupancy, last: occupancy, inflow, outflow });
      if (this.buckets.length > this.capacity) this.buckets.splice(0, this.buckets.length - this.capacity);
      return;
    }
    this.buckets.push({ at: start, max: occupancy, last: occupancy, inflow, outflow });
    if (this.buckets.length > this.capacity) this.buckets.splice(0, this.buckets.length - this.capacity);
  }

  since(from: number): ZoneSample[] {
    let i = this.buckets.length;
    while (i > 0 && this.buckets[i - 1]!.at >= from) i--;
    return this.buckets.slice(i);
  }
}

export const HISTORY_RANGES = {
  /** 10 s buckets over the last hour (360). */
  hour: { bucketMs: 10_000, spanMs: 3_600_000 },
  /** 1 min buckets over the last day (1 440). */
  day: { bucketMs: 60_000, spanMs: 86_400_000 },
} as const;
export type HistoryRange = keyof typeof HISTORY_RANGES;

/**
 * Occupancy history per zone for the UI's charts, bounded: 360 + 1 440 buckets per zone, at most
 * `maxZones` zones. Fed from the zone engine's own readings (device `zone.<id>`, points
 * `occupancy`, `inflow`, `outflow`), so it sees exactly what the platform receives. In memory: a
 * restart starts the chart again (the platform keeps the long history).
 */
export class ZoneHistory {
  private readonly zones = new Map<string, { hour: BucketRing; day: BucketRing; inflow: number; outflow: number }>();

  constructor(private readonly maxZones = 200) {}

  /** A zone reading: `occupancy` adds a sample, `inflow`/`outflow` are kept for the next one. */
  record(zone: string, point: string, value: number, at: number): void {
    let z = this.zones.get(zone);
    if (!z) {
      if (this.zones.size >= this.maxZones) return;
      z = { hour: new BucketRing(HISTORY_RANGES.hour.bucketMs, 360), day: new BucketRing(HISTORY_RANGES.day.bucketMs, 1440), inflow: 0, outflow: 0 };
      this.zones.set(zone, z);
    }
    if (point === 'inflow') z.inflow = value;
    else if (point === 'outflow') z.outflow = value;
    else if (point === 'occupancy') {
      z.hour.add(at, value, z.inflow, z.outflow);
      z.day.add(at, value, z.inflow, z.outflow);
    }
  }

  /** Readings from the bus: only the zone engine's. */
  onReadings(readings: ReadonlyArray<{ device: string; point: string; value: unknown; ts: string }>): void {
    // The engine publishes occupancy first; inflow/outflow of the same batch belong to that sample.
    for (const r of readings) {
      if (!r.device.startsWith('zone.') || typeof r.value !== 'number') continue;
      if (r.point !== 'occupancy') this.record(r.device.slice(5), r.point, r.value, Date.parse(r.ts));
    }
    for (const r of readings) {
      if (r.device.startsWith('zone.') && r.point === 'occupancy' && typeof r.value === 'number')
        this.record(r.device.slice(5), r.point, r.value, Date.parse(r.ts));
    }
  }

  history(zone: string, range: HistoryRange, now = Date.now()): { bucketMs: number; samples: ZoneSample[] } {
    const { bucketMs, spanMs } = HISTORY_RANGES[range];
    const z = this.zones.get(zone);
    return { bucketMs, samples: z ? z[range].since(now - spanMs) : [] };
  }
}
