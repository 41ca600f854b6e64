/** What a counter reading did to the continuous total. */
export interface CounterStep {
  /** The continuous total (never goes down). */
  total: number;
  /** The increase since the previous accepted reading; undefined for a cumulative counter's first one (no baseline). */
  delta: number | undefined;
  event?: 'wrap' | 'reset';
}

/** Why a counter reading was not applied. */
export type CounterSkip = 'duplicate' | 'out-of-order';

/**
 * Turns a people counter's reported counts into a continuous total, per point.
 *
 * cumulative: the device reports its running count. A drop from the top quarter of `wrapAt`
 * into the bottom quarter is a wrap (the total goes on by the distance through the wrap); any
 * other drop is a reset (midnight, reboot): the total goes on by the new value, counted since.
 * interval: the device reports the count of each interval; the total is their sum.
 *
 * With a device time, a reading older than the last applied one is out of order and skipped;
 * an interval reading with the same time as the last one is the same interval sent twice and
 * skipped (a cumulative one just adds 0). Kept in memory: a gateway restart starts a new total
 * from the device's value.
 */
export class CounterTracker {
  private last: number | undefined;
  private lastTs: number | undefined;
  private total = 0;

  constructor(
    private readonly kind: 'cumulative' | 'interval',
    private readonly wrapAt = 2 ** 32,
  ) {}

  /** `deviceTs` only when the payload carried the device's time. */
  next(raw: number, deviceTs: number | undefined): CounterStep | CounterSkip {
    if (deviceTs !== undefined && this.lastTs !== undefined) {
      if (deviceTs < this.lastTs) return 'out-of-order';
      if (deviceTs === this.lastTs && this.kind === 'interval') return 'duplicate';
    }
    if (deviceTs !== undefined) this.lastTs = deviceTs;
    if (this.kind === 'interval') {
      this.last = raw;
      this.total += raw;
      return { total: this.total, delta: raw };
    }
    const last = this.last;
    this.last = raw;
    if (last === undefined) {
      this.total = raw;
      return { total: raw, delta: undefined };
    }
    if (raw >= last) {
      this.total += raw - last;
      return { total: this.total, delta: raw - last };
    }
    if (last >= this.wrapAt * 0.75 && raw < this.wrapAt * 0.25) {
      const delta = this.wrapAt - last + raw;
      this.total += delta;
      return { total: this.total, delta, event: 'wrap' };
    }
    this.total += raw;
    return { total: this.total, delta: raw, event: 'reset' };
  }
}
