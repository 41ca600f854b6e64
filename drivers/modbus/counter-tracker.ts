/**
 * Turns a device counter (people in/out, kWh) into a continuous total. A counter of `bits` width
 * wraps to 0 after 2^bits - 1; a device that restarts resets it to (near) 0. Both look like a
 * drop: a drop from the top quarter of the range into the bottom quarter is a wrap (the total
 * goes on by the distance through the wrap), any other drop is a reset (the total goes on by the
 * new value, counted since the reset). Kept in memory: a gateway restart starts a new total from
 * the device's value.
 */
export class CounterTracker {
  private last: number | undefined;
  private base = 0;

  constructor(private readonly bits: 16 | 32) {}

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
}
