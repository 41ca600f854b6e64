/** What a CounterTracker keeps across a gateway restart. */
export interface CounterState {
  bits: 16 | 32;
  /** The last raw reading (unsigned). */
  last: number;
  /** What wraps and resets added so far. */
  base: number;
}

/**
 * Turns a device counter (people in/out, kWh) into a continuous total. A counter of `bits` width
 * wraps to 0 after 2^bits - 1; a device that restarts resets it to (near) 0. Both look like a
 * drop: a drop from the top quarter of the range into the bottom quarter is a wrap (the total
 * goes on by the distance through the wrap), any other drop is a reset (the total goes on by the
 * new value, counted since the reset). Its state is saved by the caller (state()) and restored
 * after a gateway restart, so a restart neither re-bases the total nor counts anything twice.
 */
export class CounterTracker {
  private last: number | undefined;
  private base = 0;

  constructor(
    private readonly bits: 16 | 32,
    saved?: CounterState,
  ) {
    // A state saved for another width (the profile changed) does not apply.
    if (saved && saved.bits === bits && Number.isFinite(saved.last) && Number.isFinite(saved.base)) {
      this.last = saved.last;
      this.base = saved.base;
    }
  }

  /** The continuous total for a raw reading, and what happened. */
  next(raw: number): { total: number; event?: 'wrap' | 'reset' } {
    const range = 2 ** this.bits;
    const unsigned = raw < 0 ? raw + range : raw;
    const last = this.last;
    this.last = unsigned;
    if (last === undefined || unsigned >= last) return { total: this.base + unsigned };
    if (last >= range * 0.75 && unsigned < range * 0.25) {
      this.base += range;
      return { total: this.base + unsigned, event: 'wrap' };
    }
    this.base += last;
    return { total: this.base + unsigned, event: 'reset' };
  }

  /** What to save (undefined before the first reading). */
  state(): CounterState | undefined {
    return this.last === undefined ? undefined : { bits: this.bits, last: this.last, base: this.base };
  }
}
