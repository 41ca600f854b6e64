/**
 * What a simulated sensor measures, moving plausibly: environment values as bounded random
 * walks with a daily swing, people as arrivals and departures per counting line whose rate
 * follows the time of day and a crowd factor. Counters live here as the device keeps them:
 * cumulative since the last reset, wrapping at the device's width.
 */

export type Random = () => number;

/** Poisson-distributed count for a mean (Knuth below 30, normal approximation above). */
export function poisson(mean: number, random: Random): number {
  if (mean <= 0) return 0;
  if (mean > 30) {
    const u = Math.max(random(), 1e-12);
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * z));
  }
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random();
  while (p > limit) {
    k++;
    p *= random();
  }
  return k;
}

/** 0 at night, 1 at the busiest hours (a smooth daily curve, local time). */
export function dayFactor(ms: number): number {
  const d = new Date(ms);
  const hour = d.getHours() + d.getMinutes() / 60;
  return Math.max(0, Math.sin(((hour - 6) / 16) * Math.PI)) ** 1.5;
}

export class EnvModel {
  temperature = 18 + Math.random() * 8;
  humidity = 40 + Math.random() * 20;
  pm25 = 8 + Math.random() * 20;
  pm10 = 15 + Math.random() * 25;
  noise = 50 + Math.random() * 10;
  battery = 3.65;

  step(dtMs: number, now: number, random: Random): void {
    const dt = dtMs / 1000;
    const walk = (v: number, sd: number, min: number, max: number, target: number) =>
      Math.min(max, Math.max(min, v + (random() - 0.5) * sd * Math.sqrt(dt) + (target - v) * 0.001 * dt));
    const day = dayFactor(now);
    this.temperature = walk(this.temperature, 0.05, -20, 50, 16 + 8 * day);
    this.humidity = walk(this.humidity, 0.2, 5, 100, 60 - 15 * day);
    this.pm25 = walk(this.pm25, 0.5, 0, 500, 12 + 20 * day);
    this.pm10 = Math.max(this.pm25, walk(this.pm10, 0.8, 0, 800, 20 + 30 * day));
    this.noise = walk(this.noise, 1, 30, 110, 45 + 25 * day);
    this.battery = Math.max(3.0, this.battery - 1e-7 * dtMs);
  }
}

export interface LineCounts {
  /** Cumulative since the last reset, as the device reports them (wrapped at `wrapAt`). */
  in: number;
  out: number;
  /** Counted since the last interval message (for interval-count devices). */
  intervalIn: number;
  intervalOut: number;
}

export class PeopleModel {
  readonly lines: LineCounts[];
  occupancy = 0;
  /** People per second per line at the busiest hour, times the crowd factor. */
  peakRate = 1.5;
  crowd = 1;
  private day: string;

  constructor(
    lineCount: number,
    readonly wrapAt: number,
    startCount: number,
    now: number,
    private readonly resetAtMidnight: boolean,
  ) {
    this.lines = Array.from({ length: lineCount }, () => ({ in: startCount % wrapAt, out: startCount % wrapAt, intervalIn: 0, intervalOut: 0 }));
    this.day = new Date(now).toDateString();
  }

  step(dtMs: number, now: number, random: Random): void {
    const today = new Date(now).toDateString();
    if (this.resetAtMidnight && today !== this.day) this.reset();
    this.day = today;
    const dt = dtMs / 1000;
    const rate = (0.05 + this.peakRate * dayFactor(now)) * this.crowd;
    for (const line of this.lines) {
      const arrivals = poisson(rate * dt, random);
      // Departures follow arrivals with a lag: people leave in proportion to those inside.
      const departures = Math.min(this.occupancy + arrivals, poisson(rate * 0.9 * dt + this.occupancy * 0.002 * dt, random));
      this.occupancy += arrivals - departures;
      line.in = (line.in + arrivals) % this.wrapAt;
      line.out = (line.out + departures) % this.wrapAt;
      line.intervalIn += arrivals;
      line.intervalOut += departures;
    }
  }

  /** Takes the counts of the interval that ends now. */
  takeInterval(): Array<{ in: number; out: number }> {
    return this.lines.map((l) => {
      const counts = { in: l.intervalIn, out: l.intervalOut };
      l.intervalIn = 0;
      l.intervalOut = 0;
      return counts;
    });
  }

  /** The device's counter reset (midnight, reboot, or on demand). */
  reset(): void {
    for (const l of this.lines) {
      l.in = 0;
      l.out = 0;
    }
  }
}
