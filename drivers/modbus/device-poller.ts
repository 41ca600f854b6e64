import type { Logger } from 'pino';
import type { Mode } from '../../gateway/core/model.js';
import type { DeviceStatusUpdate, DriverContext, RawSample, RawValue } from '../../gateway/devices/driver.js';
import { BlockDecoder } from './block-decoder.js';
import type { Block, PlanLimits } from './block-planner.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { decodeRegisters, encodeRegisters } from './data-types.js';
import type { DeviceLink } from './device-link.js';
import type { DeviceStats } from './device-stats.js';
import { ModbusError } from './modbus-errors.js';
import { type Learned, learnHoles } from './hole-planner.js';
import { buildGroups, currentBlocks, groupInterval, type PlanEntry, type PollGroup } from './poll-groups.js';
import type { ResolvedPoint } from './resolved-point.js';
import type { ModbusDeviceConfig } from './schema.js';
import { checkWriteValue } from './write-value.js';

/**
 * Polls one device: each poll group on its own timer (staggered, per-mode interval, on the
 * monotonic clock: a wall-clock step neither stops nor floods polling), its blocks read through
 * the device's link, answers decoded and reported once per cycle, a circuit breaker deciding
 * offline and a count of useless cycles deciding error. A request that got no answer (after
 * retries) ends the cycle: the remaining blocks are reported bad with the same error, so a dead
 * device costs a shared line one timeout. Blocks refused with exception 02 are split around
 * their holes (hole-planner.ts).
 */
export class DevicePoller {
  private readonly points: Map<string, ResolvedPoint>;
  private groups: PollGroup[] = [];
  private readonly breaker: CircuitBreaker;
  private readonly decoder: BlockDecoder;
  private readonly limits: PlanLimits;
  private stopped = false;
  private lastError: string | undefined;
  private lastRefusal: string | undefined;
  /** Consecutive cycles with answers but no valid read. */
  private uselessCycles = 0;
  /** The status last reported to the core (none before the first). */
  private reported: DeviceStatusUpdate['status'] | undefined;

  constructor(
    private readonly device: ModbusDeviceConfig,
    points: readonly ResolvedPoint[],
    private readonly link: DeviceLink,
    private readonly ctx: DriverContext,
    private readonly log: Logger,
    private readonly stats: DeviceStats,
  ) {
    this.points = new Map(points.map((p) => [p.name, p]));
    this.limits = device.blocks;
    this.breaker = new CircuitBreaker(device.breaker.failCycles, device.breaker.backoffMs, device.breaker.maxBackoffMs);
    this.decoder = new BlockDecoder(device.id, log, ctx.counters);
  }

  /** Plans the reads and starts every group in the phase slot `stagger` (0..1) picks (firstTick). */
  start(stagger: number): void {
    this.groups = buildGroups([...this.points.values()], this.limits);
    const mode = this.ctx.mode();
    const now = performance.now();
    for (const g of this.groups) {
      g.intervalMs = groupInterval(g, this.device, mode);
      this.schedule(g, firstTick(now, g.intervalMs, stagger));
    }
    this.log.debug(
      { groups: this.groups.map((g) => ({ name: g.name, intervalMs: g.intervalMs, blocks: g.plan.length, points: g.points.length })) },
      'polling planned',
    );
  }

  stop(): void {
    this.stopped = true;
    for (const g of this.groups) clearTimeout(g.timer);
  }

  /** A new site mode: new intervals, and the next tick no later than one new interval from now. */
  setMode(mode: Mode): void {
    const now = performance.now();
    for (const g of this.groups) {
      const interval = groupInterval(g, this.device, mode);
      if (interval === g.intervalMs) continue;
      g.intervalMs = interval;
      clearTimeout(g.timer);
      this.schedule(g, Math.min(g.nextAt, now + interval));
    }
  }

  /** The current read plan (for tests and the UI). */
  plan(): ReadonlyArray<{ group: string; blocks: readonly Block[]; intervalMs: number }> {
    return this.groups.map((g) => ({ group: g.name, blocks: currentBlocks(g), intervalMs: g.intervalMs }));
  }

  /** One on-demand read of a point, ahead of the polls waiting on the bus. */
  async read(pointName: string): Promise<RawSample> {
    const p = this.point(pointName);
    const block: Block = { table: p.table, start: p.address, count: p.count, points: [p] };
    const data = await this.link.read(p.table, p.address, p.count, 1, true);
    const out: RawSample[] = [];
    this.decoder.decode(block, data, this.ctx.clock.now(), out);
    return out[0]!;
  }

  /**
   * Writes a raw value and confirms it by reading it back, as one job on the bus so no poll
   * interleaves (a bit of a register is a read-modify-write: FC 06 has no mask).
   */
  async write(pointName: string, raw: RawValue): Promise<void> {
    const p = this.point(pointName);
    const value = checkWriteValue(this.device.id, p, raw);
    if (this.breaker.isOpen)
      throw new ModbusError('E_MODBUS_DEVICE_OFFLINE', `${this.device.id} is offline (${this.lastError ?? 'no answer'}); not writing ${p.name}`);
    await this.link.exclusive(async (bus) => {
      let words: number[] | undefined;
      if (p.table === 'coil') {
        await bus.writeCoil(p.address, Boolean(value));
      } else if (p.type === 'bit') {
        const [current] = (await bus.read(p.table, p.address, 1)) as number[];
        const mask = 1 << p.bit!;
        words = [value ? current! | mask : current! & ~mask & 0xffff];
        await bus.writeRegisters(p.address, words);
      } else {
        words = encodeRegisters(value, p);
        await bus.writeRegisters(p.address, words);
      }
      const back = await bus.read(p.table, p.address, p.count);
      const readBack = p.table === 'coil' ? Boolean(back[0]) : decodeRegisters(back as number[], p);
      const expected = p.type === 'float32' ? Math.fround(Number(value)) : value;
      if (readBack !== expected) {
        throw new ModbusError(
          'E_MODBUS_WRITE_MISMATCH',
          `wrote ${JSON.stringify(value)} to ${p.name} but read back ${JSON.stringify(readBack)} at ${this.link.describe(p.table, p.address, p.count)}`,
        );
      }
    });
    this.log.info({ point: p.name, raw: value }, 'point written');
  }

  private point(name: string): ResolvedPoint {
    const p = this.points.get(name);
    if (!p) throw new ModbusError('E_MODBUS_UNKNOWN_POINT', `${this.device.id} has no point "${name}"`);
    return p;
  }

  private schedule(g: PollGroup, at: number): void {
    if (this.stopped) return;
    g.nextAt = at;
    g.timer = setTimeout(() => this.tick(g), Math.max(0, at - performance.now()));
  }

  private tick(g: PollGroup): void {
    const now = performance.now();
    // Overload policy: low-priority devices' intervals are stretched (1 = as configured), so a
    // poll that would be dropped is not made at all.
    const step = g.intervalMs * Math.max(1, this.ctx.pollStretch?.(this.device.id) ?? 1);
    // Keep the grid: the next tick is one interval after this one, skipping any we missed.
    let next = g.nextAt + step;
    if (next <= now) next += Math.ceil((now - next + 1) / step) * step;
    this.schedule(g, next);
    if (g.running) {
      this.stats.overruns++;
      // A cycle that runs into the next tick is often one whose answer waited behind a busy event
      // loop (a commit, a collection): the tick fires before the answer is read. Owe that poll
      // and make it when the cycle ends, instead of skipping it (at 100 ms on a loaded box the
      // skips halved the poll rate). At most one is owed, and not after a catch-up, so a device
      // slower than its interval is not polled back to back.
      if (!g.catchUp) g.owed = true;
      return;
    }
    this.startCycle(g, now, false);
  }

  private startCycle(g: PollGroup, now: number, catchUp: boolean): void {
    if (this.stopped || !this.breaker.allows(now)) return;
    g.running = true;
    g.catchUp = catchUp;
    this.cycle(g)
      .catch((err: unknown) => this.log.error({ err, group: g.name }, 'poll cycle failed'))
      .finally(() => {
        g.running = false;
        if (!g.owed) return;
        g.owed = false;
        this.startCycle(g, performance.now(), true);
      });
  }

  private async cycle(g: PollGroup): Promise<void> {
    const t0 = performance.now();
    const ts = this.ctx.clock.now();
    const wasOpen = this.breaker.isOpen;
    const samples: RawSample[] = [];
    const outcome: CycleOutcome = { answered: false, good: false, failure: undefined, refusal: undefined };

    const readEntry = async (entry: PlanEntry): Promise<void> => {
      if (this.stopped) return;
      const reprobe = entry.parts !== undefined && performance.now() >= entry.reprobeAt;
      if (entry.parts && !reprobe) {
        for (const part of entry.parts) await this.readBlock(part, ts, samples, outcome);
        return;
      }
      const refused = await this.readBlock(entry.merged, ts, samples, outcome, true);
      if (!refused) {
        if (entry.parts)
          this.log.info({ block: this.link.describe(entry.merged.table, entry.merged.start, entry.merged.count) }, 'holes closed: block read whole again');
        entry.parts = undefined;
        return;
      }
      entry.reprobeAt = performance.now() + this.device.blocks.reprobeMs;
      if (entry.parts) {
        for (const part of entry.parts) await this.readBlock(part, ts, samples, outcome);
        return;
      }
      await this.learn(entry, refused, ts, samples, outcome);
    };

    if (this.device.maxInFlight > 1) await Promise.all(g.plan.map(readEntry));
    else for (const entry of g.plan) await readEntry(entry);
    if (this.stopped) return;

    this.stats.cycle(performance.now() - t0);
    // An offline device's failed probes are not reported point by point: its status says it all.
    if (samples.length > 0 && (outcome.answered || !wasOpen)) this.ctx.samples(samples);
    this.updateStatus(outcome);
  }

  /**
   * Reads one block and reports its points. Returns the exception when the device refused a
   * multi-point block with exception 02 and `holeAware` (the caller learns the holes; nothing
   * is reported yet). After a failure without an answer, the rest of the cycle is not sent:
   * its points get the same error (a dead device costs a shared line one timeout per cycle).
   */
  private async readBlock(block: Block, ts: number, out: RawSample[], o: CycleOutcome, holeAware = false): Promise<ModbusError | undefined> {
    if (o.failure) {
      this.decoder.fail(block, o.failure.message, ts, out);
      return undefined;
    }
    try {
      const data = await this.link.read(block.table, block.start, block.count, block.points.length);
      o.answered = true;
      o.good = true;
      this.decoder.decode(block, data, ts, out);
    } catch (err) {
      const e = err as ModbusError;
      if (e.code === 'E_MODBUS_STOPPED') return undefined;
      if (e.code === 'E_MODBUS_EXCEPTION' || e.code === 'E_MODBUS_BAD_FRAME') {
        // An exception is an answer; so is a garbled frame (the device is there, the line is
        // noisy): neither opens the breaker, and the next block is still read.
        o.answered = true;
        o.refusal = e;
        if (holeAware && e.exceptionCode === 2 && block.points.length > 1) return e;
      } else {
        o.failure = e;
      }
      this.decoder.fail(block, e.message, ts, out);
    }
    return undefined;
  }

  /** Finds the holes of a block refused with exception 02, reports what it read, and keeps the learned plan. */
  private async learn(entry: PlanEntry, refused: ModbusError, ts: number, out: RawSample[], o: CycleOutcome): Promise<void> {
    const block = entry.merged;
    let learned: Learned;
    try {
      learned = await learnHoles(
        block,
        async (b) => {
          try {
            return { data: await this.link.read(b.table, b.start, b.count, b.points.length) };
          } catch (err) {
            if ((err as ModbusError).exceptionCode === 2) return { refused: err as ModbusError };
            throw err;
          }
        },
        this.limits,
      );
    } catch (err) {
      // Learning was cut short by another failure: report the block with it, learn next cycle.
      const e = err as ModbusError;
      if (e.code === 'E_MODBUS_EXCEPTION' || e.code === 'E_MODBUS_BAD_FRAME') o.refusal = e;
      else if (e.code !== 'E_MODBUS_STOPPED') o.failure = e;
      this.decoder.fail(block, e.message, ts, out);
      return;
    }
    o.answered = true;
    for (const r of learned.read) {
      o.good = true;
      this.decoder.decode(r.block, r.data, ts, out);
    }
    for (const r of learned.refused) {
      o.refusal = r.error as ModbusError;
      this.decoder.fail(r.block, r.error.message, ts, out);
    }
    if (learned.refused.length === 0 && learned.read.length === 0) this.decoder.fail(block, refused.message, ts, out);
    entry.parts = learned.parts;
    this.log.info(
      {
        block: refused.message,
        reads: learned.parts.map((b) => this.link.describe(b.table, b.start, b.count)),
        refusedPoints: learned.refused.flatMap((r) => r.block.points.map((p) => p.name)),
      },
      'holes learned: block split around them',
    );
  }

  /**
   * The status rule (docs/modbus.md, "Device status"): no answer at all for `failCycles` cycles
   * → offline (breaker open); answers but not one valid read (exceptions, garbled frames) for
   * `failCycles` cycles → error; any valid read → online. Reported on change only.
   */
  private updateStatus(o: CycleOutcome): void {
    const transition = this.breaker.record(o.answered, performance.now());
    const n = this.device.breaker.failCycles;
    if (!o.answered && o.failure) this.lastError = o.failure.message;
    this.uselessCycles = o.answered && !o.good ? this.uselessCycles + 1 : 0;
    if (o.refusal) this.lastRefusal = o.refusal.message;
    let next: DeviceStatusUpdate | undefined;
    if (transition === 'opened') next = { status: 'offline', error: `${this.lastError ?? 'no answer'} (${n} cycles without an answer)` };
    else if (o.good) next = { status: 'online' };
    else if (this.uselessCycles >= n) next = { status: 'error', error: `${this.lastRefusal ?? 'no valid answer'} (${n} cycles without a valid read)` };
    if (!next || next.status === this.reported) return;
    this.reported = next.status;
    this.stats.status = next.status;
    this.ctx.status(this.device.id, next);
  }
}

/** Groups polled at most this often (ms) are aligned to phase slots (firstTick). */
const ALIGN_MAX_MS = 5000;

/**
 * Phase slots per interval: one per 250 ms of it, at least 4 and at most 8. At least 4 so a fast
 * site is not polled in one burst (at 50 ms, 50 devices in one slot took ~25 % more CPU than
 * spread: 5,000 readings per turn), at most 8 so a slow one wakes rarely.
 */
export function phaseSlots(intervalMs: number): number {
  return Math.min(8, Math.max(4, Math.round(intervalMs / 250)));
}

/**
 * When a group polls first (monotonic ms): on a grid of its interval anchored at the monotonic
 * clock's origin, in one of phaseSlots(interval) evenly spaced slots, chosen by `stagger` (0..1),
 * within one interval from `now` (intervals up to 5 s). Devices are still spread over their interval (so a hundred do
 * not all ask at once), but those in one slot tick in the same event-loop turn: each wake-up of
 * the process costs ~0.1–0.2 ms of CPU on the 2-core box, and one wake-up (and one commit) for
 * a dozen devices instead of one each was most of the difference to Node-RED at a nominal site.
 */
export function firstTick(now: number, intervalMs: number, stagger: number): number {
  // Slow groups (energy counters every minute) wake the process rarely anyway: spread over 90 %
  // of their interval from now, as before, so none waits longer than it must for its first poll.
  if (intervalMs > ALIGN_MAX_MS) return now + Math.floor(stagger * 0.9 * intervalMs);
  const slots = phaseSlots(intervalMs);
  const slot = Math.min(slots - 1, Math.max(0, Math.floor(stagger * slots)));
  const phase = Math.round((slot * intervalMs) / slots);
  let at = Math.ceil((now - phase) / intervalMs) * intervalMs + phase;
  if (at < now) at += intervalMs;
  return at;
}

interface CycleOutcome {
  /** The device answered something (data, an exception, a garbled frame). */
  answered: boolean;
  /** At least one block was read and decoded. */
  good: boolean;
  /** A failure without an answer (timeout, connection): ends the cycle. */
  failure: ModbusError | undefined;
  /** The last answer that was not data (exception, garbled frame). */
  refusal: ModbusError | undefined;
}
