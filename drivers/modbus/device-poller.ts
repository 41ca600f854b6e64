import type { Logger } from 'pino';
import type { Mode } from '../../gateway/core/model.js';
import type { DriverContext, RawSample, RawValue } from '../../gateway/devices/driver.js';
import { BlockDecoder } from './block-decoder.js';
import { type Block, type PlanLimits, splitBlock } from './block-planner.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { decodeRegisters, encodeRegisters } from './data-types.js';
import type { DeviceLink } from './device-link.js';
import type { DeviceStats } from './device-stats.js';
import { ModbusError } from './modbus-errors.js';
import { buildGroups, groupInterval, type PollGroup } from './poll-groups.js';
import type { ResolvedPoint } from './resolved-point.js';
import type { ModbusDeviceConfig } from './schema.js';
import { checkWriteValue } from './write-value.js';

/**
 * Polls one device: each poll group on its own timer (staggered, per-mode interval), its blocks
 * read through the device's link, answers decoded and reported once per cycle, a circuit breaker
 * deciding online/offline. A failed request (after retries) ends the cycle: the remaining blocks
 * are reported bad with the same error, so a dead device costs a shared line one timeout.
 */
export class DevicePoller {
  private readonly points: Map<string, ResolvedPoint>;
  private groups: PollGroup[] = [];
  private readonly breaker: CircuitBreaker;
  private readonly decoder: BlockDecoder;
  private readonly limits: PlanLimits;
  private stopped = false;
  private lastError: string | undefined;

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
    this.decoder = new BlockDecoder(device.id, log);
  }

  /** Plans the reads and starts every group, the first tick at `stagger` (0..1) of its interval. */
  start(stagger: number): void {
    this.groups = buildGroups([...this.points.values()], this.limits);
    const mode = this.ctx.mode();
    const now = Date.now();
    for (const g of this.groups) {
      g.intervalMs = groupInterval(g, this.device, mode);
      this.schedule(g, now + Math.floor(stagger * g.intervalMs));
    }
    this.log.debug({ groups: this.groups.map((g) => ({ name: g.name, intervalMs: g.intervalMs, blocks: g.blocks.length, points: g.points.length })) }, 'polling planned');
  }

  stop(): void {
    this.stopped = true;
    for (const g of this.groups) clearTimeout(g.timer);
  }

  /** A new site mode: new intervals, and the next tick no later than one new interval from now. */
  setMode(mode: Mode): void {
    const now = Date.now();
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
    return this.groups.map((g) => ({ group: g.name, blocks: g.blocks, intervalMs: g.intervalMs }));
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
    if (this.breaker.isOpen) throw new ModbusError('E_MODBUS_DEVICE_OFFLINE', `${this.device.id} is offline (${this.lastError ?? 'no answer'}); not writing ${p.name}`);
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
    g.timer = setTimeout(() => this.tick(g), Math.max(0, at - Date.now()));
  }

  private tick(g: PollGroup): void {
    const now = Date.now();
    // Keep the grid: the next tick is one interval after this one, skipping any we missed.
    let next = g.nextAt + g.intervalMs;
    if (next <= now) next += Math.ceil((now - next + 1) / g.intervalMs) * g.intervalMs;
    this.schedule(g, next);
    if (g.running) {
      this.stats.overruns++;
      return;
    }
    if (!this.breaker.allows(now)) return;
    g.running = true;
    this.cycle(g)
      .catch((err: unknown) => this.log.error({ err, group: g.name }, 'poll cycle failed'))
      .finally(() => {
        g.running = false;
      });
  }

  private async cycle(g: PollGroup): Promise<void> {
    const t0 = performance.now();
    const ts = this.ctx.clock.now();
    const wasOpen = this.breaker.isOpen;
    const samples: RawSample[] = [];
    const plan: Block[] = [];
    let answered = false;
    let failure: ModbusError | undefined;

    const readOne = async (block: Block): Promise<void> => {
      if (this.stopped) return;
      if (failure) {
        this.decoder.fail(block, failure.message, ts, samples);
        plan.push(block);
        return;
      }
      try {
        const data = await this.link.read(block.table, block.start, block.count, block.points.length);
        answered = true;
        this.decoder.decode(block, data, ts, samples);
        plan.push(block);
      } catch (err) {
        const e = err as ModbusError;
        if (e.code === 'E_MODBUS_EXCEPTION') {
          answered = true;
          // Modbus app. protocol 7, code 02: some address of the block does not exist. Read its
          // parts instead, and keep reading them so (the plan remembers the split).
          if (e.exceptionCode === 2 && block.points.length > 1) {
            const parts = splitBlock(block, this.limits);
            this.log.info({ at: e.message, parts: parts.length }, 'block refused with exception 2, split');
            for (const part of parts) await readOne(part);
            return;
          }
        } else if (e.code !== 'E_MODBUS_STOPPED') {
          failure = e;
        }
        this.decoder.fail(block, e.message, ts, samples);
        plan.push(block);
      }
    };

    if (this.device.maxInFlight > 1) await Promise.all(g.blocks.map(readOne));
    else for (const block of g.blocks) await readOne(block);
    if (this.stopped) return;

    g.blocks = plan;
    this.stats.cycle(performance.now() - t0);
    // An offline device's failed probes are not reported point by point: its status says it all.
    if (samples.length > 0 && (answered || !wasOpen)) this.ctx.samples(samples);
    this.updateStatus(answered, failure);
  }

  private updateStatus(answered: boolean, failure: ModbusError | undefined): void {
    const transition = this.breaker.record(answered, Date.now());
    if (!answered && failure) this.lastError = failure.message;
    if (transition === 'opened') {
      this.stats.online = false;
      const error = `${this.lastError ?? 'no answer'} (${this.device.breaker.failCycles} cycles without an answer)`;
      this.log.warn({ error }, 'device offline');
      this.ctx.status(this.device.id, { status: 'offline', error });
    } else if (answered && !this.stats.online) {
      this.stats.online = true;
      this.log.info(transition === 'closed' ? 'device back online' : 'device online');
      this.ctx.status(this.device.id, { status: 'online' });
    }
  }
}
