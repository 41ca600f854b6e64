import type { ZoneConfig } from '../../config/schema/zones.js';

/** What one reading did to a zone. */
export interface CountChange {
  entered: number;
  left: number;
  /** A counter went down: `reset` (counted from 0 again) or `rebased` (too large a drop to trust). */
  anomaly?: { device: string; point: string; kind: 'reset' | 'rebased'; from: number; to: number };
}

export interface ZoneState {
  occupancy: number;
  /** Last cumulative value per `device/point`, to take deltas. */
  lastTotals: Record<string, number>;
  /** Reading ids already counted (the last few per line): a repeated message never counts twice. */
  recentIds: string[];
  /** When occupancy was last reset (ms). */
  resetAt: number;
}

const RECENT_IDS = 256;

/**
 * Occupancy of one zone from its counting lines: in − out, never negative. Cumulative counters
 * are turned into deltas; a counter that goes down is a device reset (counted from zero) when the
 * new value is small, else only re-based, so neither a reset nor a duplicate corrupts occupancy.
 */
export class ZoneOccupancy {
  private readonly roles = new Map<string, { direction: 'in' | 'out'; counts: 'cumulative' | 'interval' }>();
  private readonly recent: Set<string>;

  constructor(
    readonly config: ZoneConfig,
    private state: ZoneState,
  ) {
    for (const line of config.lines) {
      const inDir = line.reversed ? 'out' : 'in';
      const outDir = line.reversed ? 'in' : 'out';
      if (line.in) this.roles.set(`${line.device}/${line.in}`, { direction: inDir, counts: line.counts });
      if (line.out) this.roles.set(`${line.device}/${line.out}`, { direction: outDir, counts: line.counts });
    }
    this.recent = new Set(state.recentIds);
  }

  /** True if this device/point is one of the zone's counting lines. */
  counts(device: string, point: string): boolean {
    return this.roles.has(`${device}/${point}`);
  }

  get occupancy(): number {
    return this.state.occupancy;
  }

  /** Applies one counter reading (good quality, numeric). */
  apply(id: string, device: string, point: string, value: number): CountChange {
    const key = `${device}/${point}`;
    const role = this.roles.get(key);
    const change: CountChange = { entered: 0, left: 0 };
    if (!role || !Number.isFinite(value) || this.recent.has(id)) return change;
    this.remember(id);
    let delta: number;
    if (role.counts === 'interval') {
      delta = Math.max(0, value);
    } else {
      const last = this.state.lastTotals[key];
      this.state.lastTotals[key] = value;
      if (last === undefined) return change; // the first value is the baseline
      if (value >= last) delta = value - last;
      else if (value <= this.config.resetCountLimit) {
        delta = value;
        change.anomaly = { device, point, kind: 'reset', from: last, to: value };
      } else {
        delta = 0;
        change.anomaly = { device, point, kind: 'rebased', from: last, to: value };
      }
    }
    if (role.direction === 'in') change.entered = delta;
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

  snapshot(): ZoneState {
    return { ...this.state, lastTotals: { ...this.state.lastTotals }, recentIds: [...this.recent] };
  }

  private remember(id: string): void {
    this.recent.add(id);
    if (this.recent.size > RECENT_IDS) {
      const oldest = this.recent.values().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
  }
}
