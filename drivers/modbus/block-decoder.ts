import type { Logger } from 'pino';
import type { CounterStateStore, RawSample, RawValue } from '../../gateway/devices/driver.js';
import { isBitTable } from './address.js';
import type { Block } from './block-planner.js';
import { type CounterState, CounterTracker } from './counter-tracker.js';
import { decodeRegistersAt } from './data-types.js';
import type { ResolvedPoint } from './resolved-point.js';

/** A counter's state as the core's store keeps it. */
type SavedCounter = Parameters<CounterStateStore['set']>[2];

/**
 * Turns the answer to a block read into raw samples, one per point. Counters become continuous
 * totals (wrap and reset handled by CounterTracker); a float the device marks as "no value"
 * (NaN, a common meter convention) is a bad sample, not a number. Counter totals are kept in the
 * core's counter state store (ctx.counters), per device and point.
 */
export class BlockDecoder {
  private readonly counters = new Map<string, CounterTracker>();

  constructor(
    private readonly device: string,
    private readonly log: Logger,
    /** Durable counter state: totals survive a gateway restart (absent: kept in memory only). */
    private readonly store?: CounterStateStore,
  ) {}

  decode(block: Block, data: readonly (boolean | number)[], ts: number, out: RawSample[]): void {
    for (const p of block.points) out.push(this.decodePoint(p, block, data, ts));
  }

  /** Bad samples for every point of a block that could not be read. */
  fail(block: Block, error: string, ts: number, out: RawSample[]): void {
    for (const p of block.points) out.push({ device: this.device, point: p.name, ts, raw: null, quality: 'bad', error });
  }

  private decodePoint(p: ResolvedPoint, block: Block, data: readonly (boolean | number)[], ts: number): RawSample {
    const offset = p.address - block.start;
    let raw: RawValue;
    if (isBitTable(p.table)) raw = Boolean(data[offset]);
    else raw = decodeRegistersAt(data as readonly number[], offset, p.count, p);
    if (typeof raw === 'number' && !Number.isFinite(raw)) {
      return { device: this.device, point: p.name, ts, raw: null, quality: 'bad', error: `the device reports no value (${raw}) for ${p.name}` };
    }
    if (p.counter && typeof raw === 'number') raw = this.count(p, raw);
    return { device: this.device, point: p.name, ts, raw };
  }

  private count(p: ResolvedPoint, raw: number): number {
    let tracker = this.counters.get(p.name);
    if (!tracker) {
      const saved = this.load(p.name, p.count === 1 ? 16 : 32);
      tracker = new CounterTracker(p.count === 1 ? 16 : 32, saved);
      if (saved) this.log.debug({ point: p.name, base: saved.base, last: saved.last }, 'counter total restored');
      this.counters.set(p.name, tracker);
    }
    const { total, event } = tracker.next(raw);
    if (event) this.log.info({ point: p.name, raw, total, event }, event === 'wrap' ? 'counter wrapped' : 'counter reset by the device');
    const s = tracker.state();
    // The store keeps it in memory and writes it soon (and at stop): cheap enough per reading.
    if (s) this.save(p.name, { kind: 'cumulative', last: s.last, total: s.base + s.last });
    return total;
  }

  /** The saved state of a counter as the tracker takes it (base = total − last). */
  private load(point: string, bits: 16 | 32): CounterState | undefined {
    try {
      const saved = this.store?.get(this.device, point);
      if (saved?.kind !== 'cumulative' || saved.last === undefined) return undefined;
      const { last, total } = saved;
      // A state that does not fit this counter (another width, a damaged row) starts a new total.
      if (!Number.isFinite(last) || !Number.isFinite(total) || last < 0 || last >= 2 ** bits || total < last) return undefined;
      return { bits, last, base: total - last };
    } catch (err) {
      this.log.warn({ err, point }, 'saved counter total unreadable: starting a new total');
      return undefined;
    }
  }

  private save(point: string, state: SavedCounter): void {
    try {
      this.store?.set(this.device, point, state);
    } catch (err) {
      // A full disk must not stop polling; the total is saved again with the next reading.
      this.log.warn({ err, point }, 'counter total not saved');
    }
  }
}
