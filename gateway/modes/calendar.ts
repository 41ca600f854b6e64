import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema/gateway-config.js';
import type { Clock } from '../core/clock.js';
import type { Mode } from '../core/model.js';
import { localDate, zonedToEpoch } from '../core/zoned-time.js';
import type { SqliteStateStore } from '../storage/sqlite-state-store.js';
import { modeRank } from '../rules/mode-rules.js';
import type { ModeManager } from './mode-manager.js';

interface Proposal {
  mode: Mode;
  why: string;
}

/**
 * The calendar switches the site mode at its boundaries: a scheduled event's start and end, a
 * holiday's midnight. It acts on edges only, so a mode a person or a rule set in between is not
 * overridden, except that a boundary may always escalate (never step down from a higher mode it
 * did not set).
 */
export class CalendarScheduler {
  private timer: NodeJS.Timeout | undefined;
  private readonly windows: Array<{ name: string; start: number; end: number; mode: Mode }>;
  /** The latest wall time (ms) the calendar has acted on: time before it has been lived already. */
  private highWater = Number.NEGATIVE_INFINITY;
  private steppedBack = false;

  constructor(
    private readonly calendar: GatewayConfig['calendar'],
    private readonly modes: ModeManager,
    private readonly store: SqliteStateStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly baseMode: Mode,
  ) {
    this.windows = calendar.events.map((e) => ({
      name: e.name,
      start: zonedToEpoch(e.start, calendar.timeZone),
      end: zonedToEpoch(e.end, calendar.timeZone),
      mode: e.mode,
    }));
  }

  start(): void {
    this.check();
    this.timer = setInterval(() => this.check(), 15_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** What the calendar says the mode should be now. */
  proposal(now: number): Proposal {
    let best: Proposal | undefined;
    for (const w of this.windows) {
      if (now >= w.start && now < w.end && (!best || modeRank(w.mode) > modeRank(best.mode))) best = { mode: w.mode, why: `calendar:${w.name}` };
    }
    if (best) return best;
    const today = localDate(now, this.calendar.timeZone);
    if (this.calendar.holidays.includes(today)) return { mode: 'holiday', why: `calendar:holiday ${today}` };
    return { mode: this.baseMode, why: 'calendar:regular day' };
  }

  /** Applies a boundary if one has passed since the last check. */
  check(): void {
    const now = this.clock.now();
    // Calendar boundaries are wall time by nature. After a step back the wall clock re-lives time
    // the calendar has acted on already: its boundaries are not applied again (no step-down to a
    // regular day in the middle of a scheduled event, no second start); boundaries past the
    // high-water mark fire at their wall times as usual. A step forward just passes boundaries.
    if (now < this.highWater) {
      if (!this.steppedBack)
        this.log.warn(
          { now: new Date(now).toISOString(), actedUpTo: new Date(this.highWater).toISOString() },
          'wall clock stepped back: calendar holds until it passes the time already acted on',
        );
      this.steppedBack = true;
      return;
    }
    this.highWater = now;
    this.steppedBack = false;
    const next = this.proposal(now);
    const last = this.store.get<Proposal>('calendar:last');
    if (last && last.mode === next.mode && last.why === next.why) return;
    this.store.set('calendar:last', next);
    const current = this.modes.mode;
    const stillOurs = last !== undefined && current === last.mode;
    if (next.mode === current) return;
    if (stillOurs || modeRank(next.mode) > modeRank(current)) {
      this.log.info({ from: current, to: next.mode, why: next.why }, 'calendar boundary');
      this.modes.set(next.mode, next.why, next.why.startsWith('calendar:holiday') ? 'holiday' : `scheduled: ${next.why.slice('calendar:'.length)}`, now);
    }
  }
}
