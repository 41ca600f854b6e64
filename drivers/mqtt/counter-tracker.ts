import {
  type CountLimits,
  type CountResult,
  type CounterState,
  type CountTime,
  DEFAULT_COUNT_LIMITS,
  PlausibleCounter,
} from '../../gateway/core/plausible-counter.js';

/** Why a counter reading was not applied. */
export type CounterSkip = 'duplicate' | 'out-of-order';

/**
 * Turns a people counter's reported counts into a continuous total, per point: wraps, resets and
 * implausible jumps by the shared model (gateway/core/plausible-counter.ts), plus the order of
 * the device's own times.
 *
 * With a trusted device time, a reading older than the last applied one is out of order and
 * skipped; an interval reading with the same time as the last one is the same interval sent
 * twice and skipped (a cumulative one just adds 0). An untrusted device time (in the future, far
 * in the past) is never passed here, so it cannot poison the guard. The state is plain JSON,
 * stored by the driver so a gateway restart neither re-bases nor double counts.
 */
export class CounterTracker {
  private readonly counter: PlausibleCounter;

  constructor(kind: 'cumulative' | 'interval', wrapAt = 2 ** 32, limits: CountLimits = DEFAULT_COUNT_LIMITS, saved?: CounterState) {
    const state = saved && saved.kind === kind && Number.isFinite(saved.total) ? saved : { kind, total: 0 };
    this.counter = new PlausibleCounter(state, limits, wrapAt);
  }

  /** The state to store (the live object: copy before keeping it elsewhere). */
  get state(): CounterState {
    return this.counter.state;
  }

  /** `deviceTs` only when the payload carried a trusted device time. */
  next(raw: number, deviceTs: number | undefined, at: CountTime): CountResult | CounterSkip {
    const s = this.counter.state;
    if (deviceTs !== undefined && s.lastTs !== undefined) {
      if (deviceTs < s.lastTs) return 'out-of-order';
      if (deviceTs === s.lastTs && s.kind === 'interval') return 'duplicate';
    }
    const result = this.counter.next(raw, at);
    if (deviceTs !== undefined && result.kind === 'counted') s.lastTs = deviceTs;
    return result;
  }
}
