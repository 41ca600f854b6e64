import type { ZoneConfig } from '../config/schema/zones.js';
import { type CountLimits, type CountTime, type CounterState, DEFAULT_COUNT_LIMITS, PlausibleCounter } from '../core/plausible-counter.js';

/** What one reading did to a zone. */
export interface CountChange {
  entered: number;
  left: number;
  /**
   * A line's counter did something other than count up plausibly: `reset` (a drop to near zero,
   * counted from 0), `wrap`, `rebased` (a new level the following readings confirmed: counted
   * from there), or `implausible` (not counted; `reason` says why, with the raw values).
   */
  anomaly?: {
    device: string;
    point: string;
    kind: 'reset' | 'wrap' | 'rebased' | 'implausible';
    from: number | undefined;
    to: number;
    change?: number;
    allowed?: number;
    elapsedMs?: number;
    reason?: string;
  };
}

export interface ZoneState {
  occupancy: number;
  /** Per `device/point`: the line's counter state (plausibility model), to take deltas. */
  lines?: Record<string, CounterState>;
  /** Older saved states: the last cumulative value per line (read once, then kept in `lines`). */
  lastTotals?: Record<string, number>;
  /** Reading ids already counted (the last few per line): a repeated message never counts twice. */
  recentIds: string[];
  /** When occupancy was last reset (ms). */
  resetAt: number;
}

const RECENT_IDS = 256;

interface Line {
  direction: 'in' | 'out';
  counter: PlausibleCounter;
}

/**
 * Occupancy of one zone from its counting lines: in − out, never negative. Every line, whatever
 * driver it comes from (Modbus, ONVIF, MQTT), goes through the shared plausibility model
 * (core/plausible-counter.ts): an increase faster than the line's maxRatePerSec is not counted
 * and is reported, a drop counts as a reset only when it is to near zero, and a new level is
 * taken only when the next readings confirm it. A false crowd alarm is as bad as a missed one.
 */
export class ZoneOccupancy {
  private readonly lines = new Map<string, Line>();
  private readonly recent: Set<string>;

  constructor(
    readonly config: ZoneConfig,
    private state: ZoneState,
  ) {
    const saved = state.lines ?? {};
    const old = state.lastTotals ?? {};
    const lines: Record<string, CounterState> = {};
    for (const line of config.lines) {
      const limits: CountLimits = { ...DEFAULT_COUNT_LIMITS, maxRatePerSec: line.maxRatePerSec };
      const add = (point: string | undefined, direction: 'in' | 'out') => {
        if (!point) return;
        const key = `${line.device}/${point}`;
        let s = saved[key];
        if (!s || s.kind !== line.counts)
          s = old[key] === undefined || line.counts !== 'cumulative' ? { kind: line.counts, total: 0 } : { kind: 'cumulative', last: old[key], total: 0 };
        lines[key] = s;
        this.lines.set(key, { direction, counter: new PlausibleCounter(s, limits) });
      };
      add(line.in, line.reversed ? 'out' : 'in');
      add(line.out, line.reversed ? 'in' : 'out');
    }
    this.state = { occupancy: state.occupancy, lines, recentIds: state.recentIds, resetAt: state.resetAt };
    this.recent = new Set(state.recentIds);
  }

  /** True if this device/point is one of the zone's counting lines. */
  counts(device: string, point: string): boolean {
    return this.lines.has(`${device}/${point}`);
  }

  get occupancy(): number {
    return this.state.occupancy;
  }

  /** Applies one counter reading (numeric, not bad) received at `at`. */
  apply(id: string, device: string, point: string, value: number, at: CountTime): CountChange {
    const line = this.lines.get(`${device}/${point}`);
    const change: CountChange = { entered: 0, left: 0 };
    if (!line || !Number.isFinite(value) || value < 0 || this.recent.has(id)) return change;
    this.remember(id);
    const from = line.counter.state.last;
    const r = line.counter.next(value, at);
    if (r.kind === 'implausible') {
      change.anomaly = {
        device,
        point,
        kind: 'implausible',
        from,
        to: value,
        change: r.change,
        allowed: r.allowed,
        elapsedMs: Math.round(r.elapsedMs),
        reason: r.reason,
      };
      return change;
    }
    if (r.event) change.anomaly = { device, point, kind: r.event, from, to: value };
    const delta = r.delta ?? 0; // a cumulative line's first value is its baseline
    if (line.direction === 'in') change.entered = delta;
    else change.left = delta;
    this.state.occupancy = Math.max(0, this.state.occupancy + change.entered - change.left);
    return change;
  }

  /** Daily reset: occupancy to zero; counter baselines are kept so deltas go on. */
  reset(at: number): void {
    this.state.occupancy = 0;
    this.state.resetAt = at;
  }

  get resetAt(): number {
    return this.state.resetAt;
  }

  /** Re-bases the last reset's time without a reset (the wall clock was stepped back past it). */
  set resetAt(at: number) {
    this.state.resetAt = at;
  }

  snapshot(): ZoneState {
    const lines: Record<string, CounterState> = {};
    for (const [key, s] of Object.entries(this.state.lines ?? {})) lines[key] = { ...s, pending: s.pending && { ...s.pending } };
    return { occupancy: this.state.occupancy, lines, recentIds: [...this.recent], resetAt: this.state.resetAt };
  }

  private remember(id: string): void {
    this.recent.add(id);
    if (this.recent.size > RECENT_IDS) {
      const oldest = this.recent.values().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
  }
}
