/**
 * Time sources, injected so tests can move them; production uses the system clocks.
 *
 * Two kinds of time (STYLE.md habit 16, docs/architecture.md "Time"):
 *  - `now()`: wall time (ms since the Unix epoch). Only for stamps and calendar/local-time things;
 *    NTP, an operator or a dead RTC battery can step it by hours in either direction.
 *  - `monotonic()`: ms from an arbitrary origin that only moves forward at the rate of real time
 *    (performance.now). Every duration — windows, timeouts, intervals, backoffs, calm periods —
 *    is measured on it, so a wall-clock step changes none of them.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch (wall time: stamps only). */
  now(): number;
  /**
   * Monotonic milliseconds (arbitrary origin) for durations. Optional so a plain `{ now }` clock
   * still type-checks; read it through `monotonicMs(clock)`, which falls back to performance.now().
   */
  monotonic?(): number;
}

export const systemClock: Clock = { now: () => Date.now(), monotonic: () => performance.now() };

/** The clock's monotonic time (ms): its own when it has one (tests), else performance.now(). */
export function monotonicMs(clock: Clock): number {
  return clock.monotonic ? clock.monotonic() : performance.now();
}

/** RFC 3339 UTC with milliseconds, as the contract requires (`2024-01-01T10:00:00.000Z`). */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * A clock a test sets by hand. `advance` is time passing (wall and monotonic together); `set` and
 * `step` move only the wall clock, as an NTP step or an operator's `date -s` does.
 */
export class ManualClock implements Clock {
  private mono = 0;
  constructor(private ms: number) {}
  now(): number {
    return this.ms;
  }
  monotonic(): number {
    return this.mono;
  }
  /** Wall clock to `ms` (a step: the monotonic clock does not move). */
  set(ms: number): void {
    this.ms = ms;
  }
  /** Wall clock stepped by `deltaMs` (negative: backwards); the monotonic clock does not move. */
  step(deltaMs: number): void {
    this.ms += deltaMs;
  }
  /** Time passes: both clocks move by `ms`. */
  advance(ms: number): void {
    this.ms += ms;
    this.mono += ms;
  }
}
