/**
 * How a simulated point's value (in engineering units, before the profile's scale) moves over
 * time. Plausible, not physical: enough for dashboards, deadbands and alarms to have something
 * to do.
 */
export type Behaviour =
  /** A bounded random walk around `mean`, at most `step` per second. */
  | { kind: 'walk'; mean: number; spread: number; step: number }
  /** A sine around `mean` (a day compressed into `periodMs`) with some noise. */
  | { kind: 'cycle'; mean: number; amplitude: number; periodMs: number; noise?: number }
  /** Rises by about `perSec` each second; wraps at the register type's maximum. */
  | { kind: 'counter'; perSec: number; start?: number }
  | { kind: 'constant'; value: number | boolean | string }
  /** True with this probability at each update. */
  | { kind: 'flag'; probability: number }
  /** Computed from the other points' current values (occupancy = in - out). */
  | { kind: 'derived'; from: (values: ReadonlyMap<string, number | boolean | string>) => number | boolean };

/** Random numbers from a seed, so a simulator run can be repeated. */
export class Random {
  constructor(private state: number) {}
  next(): number {
    // mulberry32
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }
}

/** The next value of a point after `dtMs`, from its previous value. */
export function step(
  b: Behaviour,
  previous: number | boolean | string | undefined,
  dtMs: number,
  nowMs: number,
  rnd: Random,
  values: ReadonlyMap<string, number | boolean | string>,
): number | boolean | string {
  switch (b.kind) {
    case 'walk': {
      const prev = typeof previous === 'number' ? previous : b.mean + (rnd.next() - 0.5) * b.spread;
      const next = prev + (rnd.next() - 0.5) * 2 * b.step * (dtMs / 1000);
      return Math.min(b.mean + b.spread, Math.max(b.mean - b.spread, next));
    }
    case 'cycle':
      return b.mean + b.amplitude * Math.sin((2 * Math.PI * nowMs) / b.periodMs) + (rnd.next() - 0.5) * 2 * (b.noise ?? 0);
    case 'counter': {
      const prev = typeof previous === 'number' ? previous : (b.start ?? 0);
      return prev + b.perSec * (dtMs / 1000) * (0.5 + rnd.next());
    }
    case 'constant':
      return previous ?? b.value;
    case 'flag':
      return rnd.next() < b.probability;
    case 'derived':
      return b.from(values);
  }
}
