import type { ZoneConfig } from '../config/schema/zones.js';
import type { Mode, Severity } from '../core/model.js';

export interface Level {
  level: number;
  at: number;
  severity: Severity;
}

export interface LevelChange {
  level: number;
  threshold: number;
  severity: Severity;
  state: 'active' | 'cleared';
}

/** Default severities: level 1 is the most serious. */
function defaultSeverity(level: number): Severity {
  return level <= 1 ? 'critical' : level === 2 ? 'major' : 'minor';
}

/** The levels in force for a zone in a mode, least serious first (highest level number first). */
export function levelsFor(zone: ZoneConfig, mode: Mode): Level[] {
  const list = zone.thresholds[mode] ?? zone.thresholds.default ?? [];
  return list.map((l) => ({ level: l.level, at: l.at, severity: l.severity ?? defaultSeverity(l.level) })).sort((a, b) => a.at - b.at);
}

/**
 * Which levels are active, with hysteresis: a level becomes active when occupancy reaches its
 * threshold, and clears only when occupancy falls `hysteresis` below it. Crossing several
 * thresholds at once activates each in order (level 3, then 2, then 1), and clears in reverse.
 */
export class CrowdLevels {
  private readonly active = new Set<number>();

  constructor(private readonly hysteresis: number) {}

  update(occupancy: number, levels: Level[]): LevelChange[] {
    const changes: LevelChange[] = [];
    for (const l of levels) {
      if (!this.active.has(l.level) && occupancy >= l.at) {
        this.active.add(l.level);
        changes.push({ level: l.level, threshold: l.at, severity: l.severity, state: 'active' });
      }
    }
    for (const l of [...levels].reverse()) {
      if (this.active.has(l.level) && occupancy < l.at - this.hysteresis) {
        this.active.delete(l.level);
        changes.push({ level: l.level, threshold: l.at, severity: l.severity, state: 'cleared' });
      }
    }
    // Levels no longer configured (mode changed) clear too.
    for (const level of [...this.active]) {
      if (!levels.some((l) => l.level === level)) {
        this.active.delete(level);
        changes.push({ level, threshold: 0, severity: 'info', state: 'cleared' });
      }
    }
    return changes;
  }

  /** The most serious active level (lowest number), or undefined. */
  get current(): number | undefined {
    return this.active.size ? Math.min(...this.active) : undefined;
  }

  get activeLevels(): number[] {
    return [...this.active].sort((a, b) => b - a);
  }

  restore(levels: number[]): void {
    for (const l of levels) this.active.add(l);
  }
}
