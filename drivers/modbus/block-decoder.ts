import type { Logger } from 'pino';
import type { RawSample, RawValue } from '../../gateway/devices/driver.js';
import { isBitTable } from './address.js';
import type { Block } from './block-planner.js';
import { CounterTracker } from './counter-tracker.js';
import { decodeRegisters } from './data-types.js';
import type { ResolvedPoint } from './resolved-point.js';

/**
 * Turns the answer to a block read into raw samples, one per point. Counters become continuous
 * totals (wrap and reset handled by CounterTracker); a float the device marks as "no value"
 * (NaN, a common meter convention) is a bad sample, not a number.
 */
export class BlockDecoder {
  private readonly counters = new Map<string, CounterTracker>();

  constructor(
    private readonly device: string,
    private readonly log: Logger,
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
    else raw = decodeRegisters(data.slice(offset, offset + p.count) as number[], p);
    if (typeof raw === 'number' && !Number.isFinite(raw)) {
      return { device: this.device, point: p.name, ts, raw: null, quality: 'bad', error: `the device reports no value (${raw}) for ${p.name}` };
    }
    if (p.counter && typeof raw === 'number') raw = this.count(p, raw);
    return { device: this.device, point: p.name, ts, raw };
  }

  private count(p: ResolvedPoint, raw: number): number {
    let tracker = this.counters.get(p.name);
    if (!tracker) {
      tracker = new CounterTracker(p.count === 1 ? 16 : 32);
      this.counters.set(p.name, tracker);
    }
    const { total, event } = tracker.next(raw);
    if (event) this.log.info({ point: p.name, raw, total, event }, event === 'wrap' ? 'counter wrapped' : 'counter reset by the device');
    return total;
  }
}
