import type { DropNotice, DropReason } from './outbox.js';

/**
 * The one builder for drop notices: how many items and bytes were dropped, and the range of
 * times at which the outbox had ACCEPTED them (ms since epoch, the rows' `ts_ms`; for data
 * dropped before it was written, the span of its appends). Never the readings' own `ts`: a
 * device clock or a backlog would make the range say something else than "from when to when
 * the gateway lost data" (contract: gateway.data_dropped).
 */
export class DropRange {
  count = 0;
  bytes = 0;
  fromMs = Number.POSITIVE_INFINITY;
  toMs = Number.NEGATIVE_INFINITY;

  /** Items accepted at one time (a stored row: `ts_ms`). */
  add(count: number, bytes: number, acceptedMs: number): this {
    return this.addSpan(count, bytes, acceptedMs, acceptedMs);
  }

  /**
   * Items accepted between two wall times (appends not yet written). A wall-clock step back
   * between them makes `toMs` earlier than `fromMs`: the range is then taken the right way round,
   * so a drop report never says from > to.
   */
  addSpan(count: number, bytes: number, fromMs: number, toMs: number): this {
    this.count += count;
    this.bytes += bytes;
    const lo = Math.min(fromMs, toMs);
    const hi = Math.max(fromMs, toMs);
    if (lo < this.fromMs) this.fromMs = lo;
    if (hi > this.toMs) this.toMs = hi;
    return this;
  }

  get empty(): boolean {
    return this.count === 0;
  }

  notice(lane: DropNotice['lane'], reason: DropReason): DropNotice {
    return { lane, reason, count: this.count, bytes: this.bytes, fromMs: this.fromMs, toMs: this.toMs };
  }
}
