import type { Logger } from 'pino';
import type { ZoneConfig } from '../config/schema/zones.js';
import { type Clock, formatTime, monotonicMs } from '../core/clock.js';
import type { IdFactory } from '../core/ids.js';
import type { Mode, Reading } from '../core/model.js';
import { lastDailyAt } from '../core/zoned-time.js';
import type { SqliteStateStore } from '../storage/sqlite-state-store.js';
import type { EventInput } from '../pipeline/event-factory.js';
import { CrowdLevels, type LevelChange, levelsFor } from './crowd-levels.js';
import { type CountChange, ZoneOccupancy, type ZoneState } from './zone-occupancy.js';

export interface ZoneEngineOptions {
  zones: readonly ZoneConfig[];
  timeZone: string;
  store: SqliteStateStore;
  ids: IdFactory;
  clock: Clock;
  log: Logger;
  mode: () => Mode;
  /** Accepts the zone's own readings (occupancy, inflow, outflow) into the outbox. */
  readings: (readings: Reading[]) => void;
  raise: (event: EventInput) => void;
  /** A zone's most serious active level changed (mode rules listen). */
  levelChanged: (zone: string, level: number | undefined, change: LevelChange) => void;
  /** A counting line's reading was not counted (gridgate_ingest_rejected_total{reason="implausible"}). */
  rejected?: (device: string, reason: 'implausible') => void;
  /** The monotonic clock (ms) of every duration here; default the clock's own (monotonicMs). */
  monotonic?: () => number;
}

/** At most one log line per line and kind of anomaly per minute (60 s, monotonic). */
const ANOMALY_LOG_MS = 60_000;

interface RunningZone {
  config: ZoneConfig;
  occupancy: ZoneOccupancy;
  levels: CrowdLevels;
  /** `at`: monotonic ms (the rate window is a duration). */
  flow: Array<{ at: number; entered: number; left: number }>;
  /** Monotonic ms of the last report (undefined: none yet). */
  lastReportAt: number | undefined;
  /** Monotonic ms of the last daily reset in this process. */
  lastResetMono?: number;
  dirty: boolean;
}

const PERSIST_EVERY_MS = 2000;
/** A daily reset never follows the previous one (in this process) within 12 h of real (monotonic) time. */
const MIN_RESET_GAP_MS = 12 * 3_600_000;

/**
 * Crowd zones: counts from any driver's counting lines → occupancy, inflow and outflow (published
 * as readings of device `zone.<id>`), and `crowd.threshold` events by level. State (occupancy,
 * counter baselines, active levels) is persisted so a restart neither loses nor double counts.
 */
export class ZoneEngine {
  private readonly zones: RunningZone[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Monotonic ms of the last write (undefined: none yet). */
  private lastPersist: number | undefined;
  private readonly anomalyLogged = new Map<string, { at: number; held: number }>();
  private readonly monotonic: () => number;

  constructor(private readonly o: ZoneEngineOptions) {
    this.monotonic = o.monotonic ?? (() => monotonicMs(o.clock));
  }

  start(): void {
    const now = this.o.clock.now();
    for (const config of this.o.zones) {
      const saved = this.o.store.get<ZoneState & { levels?: number[] }>(`zone:${config.id}`);
      const state: ZoneState = saved ?? { occupancy: 0, lines: {}, recentIds: [], resetAt: now };
      const levels = new CrowdLevels(config.hysteresis);
      if (saved?.levels) levels.restore(saved.levels);
      this.zones.push({ config, occupancy: new ZoneOccupancy(config, state), levels, flow: [], lastReportAt: undefined, dirty: true });
    }
    // No zones (zones come only with a configuration, which rebuilds the engine): nothing to tick.
    if (this.zones.length === 0) return;
    this.timer = setInterval(() => this.tick(), 500);
    this.timer.unref();
    this.tick();
  }

  stop(): void {
    clearInterval(this.timer);
    // Always written at stop (the 2 s throttle would lose the last counts of an orderly restart).
    this.persist(true);
  }

  /** Readings from the pipeline: counting lines move their zones. */
  onReadings(readings: readonly Reading[]): void {
    if (this.zones.length === 0) return;
    const now = this.o.clock.now();
    const at = { mono: this.monotonic(), wall: now };
    for (const r of readings) {
      if (r.quality === 'bad' || typeof r.value !== 'number') continue;
      for (const zone of this.zones) {
        if (!zone.occupancy.counts(r.device, r.point)) continue;
        const change = zone.occupancy.apply(r.id, r.device, r.point, r.value, at);
        if (change.anomaly) this.anomaly(zone, change.anomaly, now);
        if (change.entered || change.left) {
          zone.flow.push({ at: at.mono, entered: change.entered, left: change.left });
          zone.dirty = true;
          this.evaluate(zone, now);
        }
      }
    }
  }

  /** A line's counter did something unusual: logged (rate-limited); an implausible count is also an event. */
  private anomaly(zone: RunningZone, a: NonNullable<CountChange['anomaly']>, now: number): void {
    const id = zone.config.id;
    const key = `${id}/${a.device}/${a.point}/${a.kind}`;
    const mono = this.monotonic();
    const seen = this.anomalyLogged.get(key);
    if (seen && mono - seen.at < ANOMALY_LOG_MS) seen.held++;
    else {
      const held = seen?.held ?? 0;
      this.anomalyLogged.set(key, { at: mono, held: 0 });
      const message =
        a.kind === 'implausible'
          ? 'count not taken'
          : a.kind === 'reset'
            ? 'counter reset'
            : a.kind === 'wrap'
              ? 'counter wrapped'
              : 'counter re-based on a confirmed new level';
      this.o.log.warn({ zone: id, ...a, ...(held > 0 ? { suppressed: held } : {}) }, message);
    }
    if (a.kind !== 'implausible') return;
    this.o.rejected?.(a.device, 'implausible');
    this.o.raise({
      type: 'vendor.counter.implausible',
      state: 'pulse',
      severity: 'minor',
      ts: now,
      source: { device: a.device, point: a.point, zone: id },
      message: `${id}: ${a.device} ${a.point}: ${a.reason ?? 'implausible count'}`.slice(0, 1000),
      data: { zone: id, device: a.device, point: a.point, raw: a.to, last: a.from, change: a.change, allowed: a.allowed, elapsedMs: a.elapsedMs },
    });
  }

  /** Thresholds depend on the mode: re-evaluate every zone. */
  onModeChange(): void {
    const now = this.o.clock.now();
    for (const zone of this.zones) this.evaluate(zone, now);
  }

  status() {
    return this.zones.map((z) => ({
      zone: z.config.id,
      name: z.config.name,
      occupancy: z.occupancy.occupancy,
      ...this.rates(z),
      level: z.levels.current,
      since: formatTime(z.occupancy.resetAt),
    }));
  }

  private evaluate(zone: RunningZone, now: number): void {
    const before = zone.levels.current;
    const changes = zone.levels.update(zone.occupancy.occupancy, levelsFor(zone.config, this.o.mode()));
    if (changes.length === 0) return;
    const occupancy = zone.occupancy.occupancy;
    for (const c of changes) {
      const id = zone.config.id;
      this.o.raise({
        type: 'crowd.threshold',
        state: c.state,
        severity: c.state === 'active' ? c.severity : 'info',
        key: `zone:${id}:level-${c.level}`,
        ts: now,
        source: { zone: id },
        message:
          c.state === 'active'
            ? `${id} occupancy ${occupancy.toLocaleString('en').replace(/,/g, ' ')} reached level-${c.level} threshold ${c.threshold.toLocaleString('en').replace(/,/g, ' ')}`
            : `${id} occupancy ${occupancy} is back below level-${c.level}`,
        data: { occupancy, threshold: c.threshold, level: c.level },
      });
      this.o.levelChanged(id, zone.levels.current, c);
    }
    if (before !== zone.levels.current) this.report(zone, now);
    this.persist(true);
  }

  private tick(): void {
    const now = this.o.clock.now();
    const mono = this.monotonic();
    for (const zone of this.zones) {
      this.dailyReset(zone, now, mono);
      const cutoff = mono - zone.config.rateWindowMs;
      while (zone.flow.length && zone.flow[0]!.at < cutoff) zone.flow.shift();
      const since = zone.lastReportAt === undefined ? Number.POSITIVE_INFINITY : mono - zone.lastReportAt;
      if (since >= zone.config.reportEveryMs && (zone.dirty || since >= 60_000)) this.report(zone, now);
    }
    if (this.lastPersist === undefined || mono - this.lastPersist >= PERSIST_EVERY_MS) this.persist();
  }

  /**
   * The daily reset at local midnight (or `dailyResetAt`) is calendar time, so wall time — made
   * robust to steps. A step back past the last reset would block the next one for the step's
   * length: the stored reset time is moved back to the last scheduled one, without a reset. A
   * scheduled time that comes round again less than 12 h of real (monotonic) time after this
   * process's last reset is taken as done, never fired: a step back re-crossing midnight, or a
   * step forward over it, must not zero a crowd's occupancy in the middle of an event.
   */
  private dailyReset(zone: RunningZone, now: number, mono: number): void {
    const resetAt = lastDailyAt(now, zone.config.dailyResetAt, this.o.timeZone);
    if (zone.occupancy.resetAt > now) {
      this.o.log.warn(
        { zone: zone.config.id, lastReset: formatTime(zone.occupancy.resetAt), now: formatTime(now) },
        'wall clock is before the last daily reset (stepped back): next reset re-based',
      );
      zone.occupancy.resetAt = resetAt;
      return;
    }
    if (resetAt <= zone.occupancy.resetAt) return;
    if (zone.lastResetMono !== undefined && mono - zone.lastResetMono < MIN_RESET_GAP_MS) {
      zone.occupancy.resetAt = resetAt;
      return;
    }
    this.o.log.info({ zone: zone.config.id, occupancy: zone.occupancy.occupancy }, 'daily occupancy reset');
    zone.occupancy.reset(resetAt);
    zone.lastResetMono = mono;
    zone.dirty = true;
    this.evaluate(zone, now);
  }

  private report(zone: RunningZone, now: number): void {
    zone.lastReportAt = this.monotonic();
    zone.dirty = false;
    const device = `zone.${zone.config.id}`;
    const ts = formatTime(now);
    const { inflow, outflow } = this.rates(zone);
    this.o.readings([
      { id: this.o.ids(), device, point: 'occupancy', ts, value: zone.occupancy.occupancy, unit: '{person}', quality: 'good' },
      { id: this.o.ids(), device, point: 'inflow', ts, value: inflow, unit: '{person}/min', quality: 'good' },
      { id: this.o.ids(), device, point: 'outflow', ts, value: outflow, unit: '{person}/min', quality: 'good' },
    ]);
  }

  private rates(zone: RunningZone): { inflow: number; outflow: number } {
    const cutoff = this.monotonic() - zone.config.rateWindowMs;
    let entered = 0;
    let left = 0;
    for (const f of zone.flow) {
      if (f.at < cutoff) continue;
      entered += f.entered;
      left += f.left;
    }
    const minutes = zone.config.rateWindowMs / 60_000;
    return { inflow: Math.round((entered / minutes) * 10) / 10, outflow: Math.round((left / minutes) * 10) / 10 };
  }

  private persist(force = false): void {
    const mono = this.monotonic();
    if (!force && this.lastPersist !== undefined && mono - this.lastPersist < PERSIST_EVERY_MS) return;
    this.lastPersist = mono;
    for (const zone of this.zones) this.o.store.set(`zone:${zone.config.id}`, { ...zone.occupancy.snapshot(), levels: zone.levels.activeLevels });
  }
}
