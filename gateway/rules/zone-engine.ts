import type { Logger } from 'pino';
import type { ZoneConfig } from '../../config/schema/zones.js';
import { type Clock, formatTime } from '../core/clock.js';
import type { IdFactory } from '../core/ids.js';
import type { Mode, Reading } from '../core/model.js';
import { lastDailyAt } from '../core/zoned-time.js';
import type { SqliteStateStore } from '../outbox/sqlite-state-store.js';
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
  /** The monotonic clock (ms) of the lines' elapsed times; default performance.now. */
  monotonic?: () => number;
}

/** At most one log line per line and kind of anomaly per minute (60 s, monotonic). */
const ANOMALY_LOG_MS = 60_000;

interface RunningZone {
  config: ZoneConfig;
  occupancy: ZoneOccupancy;
  levels: CrowdLevels;
  flow: Array<{ at: number; entered: number; left: number }>;
  lastReportAt: number;
  dirty: boolean;
}

const PERSIST_EVERY_MS = 2000;

/**
 * Crowd zones: counts from any driver's counting lines → occupancy, inflow and outflow (published
 * as readings of device `zone.<id>`), and `crowd.threshold` events by level. State (occupancy,
 * counter baselines, active levels) is persisted so a restart neither loses nor double counts.
 */
export class ZoneEngine {
  private readonly zones: RunningZone[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastPersist = 0;
  private readonly anomalyLogged = new Map<string, { at: number; held: number }>();
  private readonly monotonic: () => number;

  constructor(private readonly o: ZoneEngineOptions) {
    this.monotonic = o.monotonic ?? (() => performance.now());
  }

  start(): void {
    const now = this.o.clock.now();
    for (const config of this.o.zones) {
      const saved = this.o.store.get<ZoneState & { levels?: number[] }>(`zone:${config.id}`);
      const state: ZoneState = saved ?? { occupancy: 0, lines: {}, recentIds: [], resetAt: now };
      const levels = new CrowdLevels(config.hysteresis);
      if (saved?.levels) levels.restore(saved.levels);
      this.zones.push({ config, occupancy: new ZoneOccupancy(config, state), levels, flow: [], lastReportAt: 0, dirty: true });
    }
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
    const now = this.o.clock.now();
    const at = { mono: this.monotonic(), wall: now };
    for (const r of readings) {
      if (r.quality === 'bad' || typeof r.value !== 'number') continue;
      for (const zone of this.zones) {
        if (!zone.occupancy.counts(r.device, r.point)) continue;
        const change = zone.occupancy.apply(r.id, r.device, r.point, r.value, at);
        if (change.anomaly) this.anomaly(zone, change.anomaly, now);
        if (change.entered || change.left) {
          zone.flow.push({ at: now, entered: change.entered, left: change.left });
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
      const message = a.kind === 'implausible' ? 'count not taken' : a.kind === 'reset' ? 'counter reset' : a.kind === 'wrap' ? 'counter wrapped' : 'counter re-based on a confirmed new level';
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
    const now = this.o.clock.now();
    return this.zones.map((z) => ({ zone: z.config.id, name: z.config.name, occupancy: z.occupancy.occupancy, ...this.rates(z, now), level: z.levels.current, since: formatTime(z.occupancy.resetAt) }));
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
    for (const zone of this.zones) {
      const resetAt = lastDailyAt(now, zone.config.dailyResetAt, this.o.timeZone);
      if (resetAt > zone.occupancy.resetAt) {
        this.o.log.info({ zone: zone.config.id, occupancy: zone.occupancy.occupancy }, 'daily occupancy reset');
        zone.occupancy.reset(resetAt);
        zone.dirty = true;
        this.evaluate(zone, now);
      }
      const cutoff = now - zone.config.rateWindowMs;
      while (zone.flow.length && zone.flow[0]!.at < cutoff) zone.flow.shift();
      const due = now - zone.lastReportAt >= zone.config.reportEveryMs;
      if (due && (zone.dirty || now - zone.lastReportAt >= 60_000)) this.report(zone, now);
    }
    if (now - this.lastPersist >= PERSIST_EVERY_MS) this.persist();
  }

  private report(zone: RunningZone, now: number): void {
    zone.lastReportAt = now;
    zone.dirty = false;
    const device = `zone.${zone.config.id}`;
    const ts = formatTime(now);
    const { inflow, outflow } = this.rates(zone, now);
    this.o.readings([
      { id: this.o.ids(), device, point: 'occupancy', ts, value: zone.occupancy.occupancy, unit: '{person}', quality: 'good' },
      { id: this.o.ids(), device, point: 'inflow', ts, value: inflow, unit: '{person}/min', quality: 'good' },
      { id: this.o.ids(), device, point: 'outflow', ts, value: outflow, unit: '{person}/min', quality: 'good' },
    ]);
  }

  private rates(zone: RunningZone, now: number): { inflow: number; outflow: number } {
    const cutoff = now - zone.config.rateWindowMs;
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
    const now = this.o.clock.now();
    if (!force && now - this.lastPersist < PERSIST_EVERY_MS) return;
    this.lastPersist = now;
    for (const zone of this.zones) this.o.store.set(`zone:${zone.config.id}`, { ...zone.occupancy.snapshot(), levels: zone.levels.activeLevels });
  }
}
