import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema/gateway-config.js';
import { type Clock, monotonicMs } from '../core/clock.js';
import { MODES, type Mode } from '../core/model.js';
import type { ModeManager } from '../modes/mode-manager.js';
import type { SqliteStateStore } from '../storage/sqlite-state-store.js';

/** Modes ordered by how much they demand; rules and the calendar only ever escalate on their own. */
export function modeRank(mode: Mode): number {
  return MODES.indexOf(mode);
}

interface Escalation {
  rule: string;
  previous: Mode;
  to: Mode;
}

/**
 * Crowd levels → site mode. A rule escalates (e.g. level-1 at any zone → emergency); stepping
 * down is by a person, or — when configured — back to the mode before after no crowd level has
 * been active for the calm period.
 */
export class ModeRules {
  private readonly levels = new Map<string, number | undefined>();
  /** Monotonic ms since when no crowd level is active (the calm period is a duration). */
  private calmSince: number | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly rules: GatewayConfig['rules'],
    private readonly modes: ModeManager,
    private readonly store: SqliteStateStore,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.rules.stepDown.policy === 'after-calm') {
      this.timer = setInterval(() => this.checkCalm(), 5_000);
      this.timer.unref();
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** A zone's most serious active level changed. */
  levelChanged(zone: string, level: number | undefined): void {
    this.levels.set(zone, level);
    const now = this.clock.now();
    this.calmSince = [...this.levels.values()].every((l) => l === undefined) ? monotonicMs(this.clock) : undefined;
    if (level === undefined) return;
    for (const rule of this.rules.modeRules) {
      if (rule.zone !== '*' && rule.zone !== zone) continue;
      if (level > rule.level) continue;
      const current = this.modes.mode;
      if (modeRank(rule.switchTo) <= modeRank(current)) continue;
      this.store.set('mode-rules:escalation', { rule: rule.id, previous: current, to: rule.switchTo } satisfies Escalation);
      this.modes.set(rule.switchTo, `rule:${rule.id}`, `zone ${zone} reached crowd level-${level}`, now);
    }
  }

  private checkCalm(): void {
    const escalation = this.store.get<Escalation>('mode-rules:escalation');
    if (!escalation || this.calmSince === undefined) return;
    const now = this.clock.now();
    if (this.modes.mode !== escalation.to) {
      // A person (or the calendar) changed the mode since: the escalation is no longer ours to undo.
      this.store.set('mode-rules:escalation', null);
      return;
    }
    if (monotonicMs(this.clock) - this.calmSince < this.rules.stepDown.afterCalmMs) return;
    this.store.set('mode-rules:escalation', null);
    this.log.info({ to: escalation.previous }, 'calm period over: stepping down');
    this.modes.set(escalation.previous, 'rule:step-down', `no crowd level active for ${Math.round(this.rules.stepDown.afterCalmMs / 60_000)} min`, now);
  }
}
