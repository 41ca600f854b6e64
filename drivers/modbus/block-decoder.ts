import type { Logger } from 'pino';
import type { DriverState, RawSample, RawValue } from '../../gateway/devices/driver.js';
import { isBitTable } from './address.js';
import type { Block } from './block-planner.js';
import { type CounterState, CounterTracker } from './counter-tracker.js';
import { decodeRegisters } from './data-types.js';
import type { ResolvedPoint } from './resolved-point.js';

/**
 * Turns the answer to a block read into raw samples, one per point. Counters become continuous
 * totals (wrap and reset handled by CounterTracker); a float the device marks as "no value"
 * (NaN, a common meter convention) is a bad sample, not a number. Counter totals are saved in
 * the driver's durable state, per device and point.
 */
export class BlockDecoder {
  private readonly counters = new Map<string, CounterTracker>();
  /** Counters whose state changed since it was last saved. */
  private readonly dirty = new Set<string>();
  private savedAt = 0;

  constructor(
    private readonly device: string,
    private readonly log: Logger,
    /** Durable state: counter totals survive a gateway restart (absent: kept in memory only). */
    private readonly state?: DriverState,
    /** How often a counter's last raw value is saved (a wrap or reset is saved at once), ms. */
    private readonly saveEveryMs = 30_000,
  ) {}

  /**
   * Saves the counters that moved, at most every saveEveryMs (`force`: now, on stop). Between
   * saves only `last` is behind, which matters only if the device resets while the gateway is
   * down; the base, which a restart must not lose, is saved when it changes.
   */
  saveCounters(now: number, force = false): void {
    if (!this.state || this.dirty.size === 0 || (!force && now - this.savedAt < this.saveEveryMs)) return;
    this.savedAt = now;
    const names = [...this.dirty];
    this.dirty.clear();
    for (const name of names) {
      const s = this.counters.get(name)?.state();
      if (s) this.save(name, s);
    }
  }

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
      const saved = this.load(p.name);
      tracker = new CounterTracker(p.count === 1 ? 16 : 32, saved);
      if (saved) this.log.debug({ point: p.name, base: saved.base, last: saved.last }, 'counter total restored');
      this.counters.set(p.name, tracker);
    }
    const { total, event } = tracker.next(raw);
    this.dirty.add(p.name);
    if (event) {
      this.log.info({ point: p.name, raw, total, event }, event === 'wrap' ? 'counter wrapped' : 'counter reset by the device');
      const s = tracker.state();
      if (s) this.save(p.name, s);
    }
    return total;
  }

  private key(point: string): string {
    return `counter:${this.device}:${point}`;
  }

  private load(point: string): CounterState | undefined {
    try {
      return this.state?.get<CounterState>(this.key(point));
    } catch (err) {
      this.log.warn({ err, point }, 'saved counter total unreadable: starting a new total');
      return undefined;
    }
  }

  private save(point: string, s: CounterState): void {
    try {
      this.state?.set(this.key(point), s);
    } catch (err) {
      // A full disk must not stop polling; the total is saved again next time.
      this.log.warn({ err, point }, 'counter total not saved');
      this.dirty.add(point);
    }
  }
}
