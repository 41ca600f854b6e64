/**
 * The plausibility model of a people-counting line, shared by every driver's counters and by the
 * zones' counting lines (one model, one place): a false crowd alarm is as bad as a missed one.
 *
 * A line cannot count more than `maxRatePerSec` people per second. An increase beyond
 * `maxRatePerSec × (elapsed s + slackSec)` is not counted: it is held as *pending* and reported
 * as implausible. It becomes the counter's new level only when the next `confirmations - 1`
 * readings agree with it (each a plausible step from the one before); a reading plausible from
 * the last accepted value discards it (a one-message glitch such as `{"in": 99999999}`).
 *
 * A cumulative counter that goes down has either wrapped (from the top quarter of `wrapAt` into
 * the bottom one), or was reset (midnight, reboot): a reset is taken only when the new value is
 * near zero, i.e. no more than the line could have counted since (`allowed`). Any other drop (a
 * huge `out` value followed by a normal one, a garbled value) is pending like a jump.
 */
export interface CountLimits {
  /** People per second one line can plausibly count (a wide gate: about 20). */
  maxRatePerSec: number;
  /** Seconds of counting added to the elapsed time (report jitter, batching devices). */
  slackSec: number;
  /** Readings (the suspicious one included) that must agree before a new level is taken. */
  confirmations: number;
}

/** 60 s: the usual reporting interval of interval counters. */
const FIRST_INTERVAL_MS = 60_000;

export const DEFAULT_COUNT_LIMITS: CountLimits = Object.freeze({ maxRatePerSec: 20, slackSec: 5, confirmations: 3 });

/** A counter's state as stored (plain JSON, survives a restart). */
export interface CounterState {
  kind: 'cumulative' | 'interval';
  /** The last accepted raw value of the device (cumulative). */
  last?: number;
  /** The continuous total (never goes down). */
  total: number;
  /** The device time of the last applied reading (the out-of-order guard), if the device sends one. */
  lastTs?: number;
  /** Wall time (ms) of the last accepted reading: the elapsed time of the first reading after a restart. */
  wallAt?: number;
  /** A suspicious value waiting for confirmation. */
  pending?: { first: number; raw: number; count: number; wallAt: number };
}

/** When a reading happened: monotonic ms for elapsed time within the process, wall ms for the stored state. */
export interface CountTime {
  mono: number;
  wall: number;
}

export type CountResult =
  | { kind: 'counted'; total: number; delta: number | undefined; event?: 'wrap' | 'reset' | 'rebased' }
  | { kind: 'implausible'; total: number; raw: number; last: number | undefined; change: number; allowed: number; elapsedMs: number; reason: string };

/** One counter (a device's counter point, or a zone's counting line) with its plausibility model. */
export class PlausibleCounter {
  private monoAt: number | undefined;
  private pendingMono: number | undefined;

  constructor(
    readonly state: CounterState,
    private readonly limits: CountLimits = DEFAULT_COUNT_LIMITS,
    private readonly wrapAt = 2 ** 32,
  ) {}

  static fresh(kind: CounterState['kind'], limits?: CountLimits, wrapAt?: number): PlausibleCounter {
    return new PlausibleCounter({ kind, total: 0 }, limits, wrapAt);
  }

  get total(): number {
    return this.state.total;
  }

  /** Applies a reading of the device's count. */
  next(raw: number, at: CountTime): CountResult {
    const s = this.state;
    // A first interval reading has no previous one to measure from: taken as one typical interval.
    const elapsedMs = s.kind === 'interval' && s.wallAt === undefined ? FIRST_INTERVAL_MS : this.elapsed(this.monoAt, s.wallAt, at);
    const allowed = this.allowed(elapsedMs);
    if (s.kind === 'interval') {
      if (raw <= allowed) return this.accept(raw, raw, at);
      return this.implausible(raw, raw, allowed, elapsedMs, `an interval count of ${raw}`);
    }
    if (s.last === undefined) {
      // The first value is the baseline: a fresh counter's total starts at the device's count.
      s.total = raw;
      this.accept(raw, 0, at);
      return { kind: 'counted', total: s.total, delta: undefined };
    }
    const last = s.last;
    let change: number | undefined;
    let event: 'wrap' | 'reset' | undefined;
    if (raw >= last) change = raw - last;
    else if (last >= this.wrapAt * 0.75 && raw < this.wrapAt * 0.25) {
      change = this.wrapAt - last + raw;
      event = 'wrap';
    } else if (raw <= allowed) {
      change = raw;
      event = 'reset';
    }
    if (change !== undefined && change <= allowed) return this.accept(raw, change, at, event);

    // Suspicious: held until the next readings confirm it as the counter's new level.
    const p = s.pending;
    if (p && raw >= p.raw && raw - p.raw <= this.allowed(this.elapsed(this.pendingMono, p.wallAt, at))) {
      p.count++;
      p.raw = raw;
      p.wallAt = at.wall;
      this.pendingMono = at.mono;
      if (p.count >= this.limits.confirmations) {
        // Confirmed: the people counted since the new level appeared are counted, the jump is not.
        return this.accept(raw, raw - p.first, at, 'rebased');
      }
    } else {
      s.pending = { first: raw, raw, count: 1, wallAt: at.wall };
      this.pendingMono = at.mono;
    }
    const what = raw >= last ? `a jump from ${last} to ${raw} (+${raw - last})` : `a drop from ${last} to ${raw} that is not near zero`;
    return this.implausible(raw, raw - last, allowed, elapsedMs, what);
  }

  /** The most a line can count in `elapsedMs`. */
  allowed(elapsedMs: number): number {
    return Math.ceil(this.limits.maxRatePerSec * (elapsedMs / 1000 + this.limits.slackSec));
  }

  private elapsed(mono: number | undefined, wall: number | undefined, at: CountTime): number {
    // Within the process: the monotonic clock (a wall-clock step changes nothing). After a
    // restart: the stored wall time, never negative (a clock stepped back allows only the slack).
    if (mono !== undefined) return Math.max(0, at.mono - mono);
    if (wall !== undefined) return Math.max(0, at.wall - wall);
    return 0;
  }

  private accept(raw: number, delta: number, at: CountTime, event?: 'wrap' | 'reset' | 'rebased'): CountResult {
    const s = this.state;
    s.last = raw;
    s.total += delta;
    s.wallAt = at.wall;
    s.pending = undefined;
    this.monoAt = at.mono;
    this.pendingMono = undefined;
    return event ? { kind: 'counted', total: s.total, delta, event } : { kind: 'counted', total: s.total, delta };
  }

  private implausible(raw: number, change: number, allowed: number, elapsedMs: number, what: string): CountResult {
    const rate = this.limits.maxRatePerSec;
    const reason = `${what} in ${(elapsedMs / 1000).toFixed(1)} s is over the plausible ${allowed} (maxRatePerSec ${rate}): not counted`;
    return { kind: 'implausible', total: this.state.total, raw, last: this.state.last, change, allowed, elapsedMs, reason };
  }
}
