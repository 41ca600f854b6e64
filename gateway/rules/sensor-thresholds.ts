import type { SensorThreshold } from '../config/schema/rules.js';
import { type Clock, monotonicMs } from '../core/clock.js';
import type { Reading } from '../core/model.js';
import type { EventInput } from '../pipeline/event-factory.js';

interface ConditionState {
  /** Monotonic ms since when the value is beyond the limit (`forMs` is a duration). */
  pendingSince?: number;
  active: boolean;
}

/**
 * Sensor thresholds as data: `above` or `below` a value for at least `forMs`, clearing only past
 * the hysteresis band. Raises `sensor.threshold` active and cleared with one key per rule and
 * device.
 */
export class SensorThresholds {
  private readonly states = new Map<string, ConditionState>();

  constructor(
    private readonly rules: readonly SensorThreshold[],
    private readonly clock: Clock,
    private readonly raise: (event: EventInput) => void,
  ) {}

  onReadings(readings: readonly Reading[]): void {
    if (this.rules.length === 0) return;
    const now = monotonicMs(this.clock);
    for (const r of readings) {
      if (r.quality === 'bad' || typeof r.value !== 'number') continue;
      for (const rule of this.rules) {
        if (rule.point !== r.point || (rule.device !== '*' && rule.device !== r.device)) continue;
        this.evaluate(rule, r, r.value, now);
      }
    }
  }

  private evaluate(rule: SensorThreshold, r: Reading, value: number, now: number): void {
    const key = `${rule.id}:${r.device}`;
    let state = this.states.get(key);
    if (!state) {
      state = { active: false };
      this.states.set(key, state);
    }
    const limit = (rule.above ?? rule.below)!;
    const beyond = rule.above !== undefined ? value > rule.above : value < rule.below!;
    const back = rule.above !== undefined ? value < rule.above - rule.hysteresis : value > rule.below! + rule.hysteresis;
    const event = (kind: 'active' | 'cleared'): EventInput => ({
      type: 'sensor.threshold',
      state: kind,
      severity: kind === 'active' ? rule.severity : 'info',
      key: `sensor:${rule.id}:${r.device}`,
      source: { device: r.device, point: r.point },
      message:
        kind === 'active'
          ? (rule.message ?? `${r.device} ${r.point} ${value}${r.unit ? ` ${r.unit}` : ''} is ${rule.above !== undefined ? 'above' : 'below'} ${limit}`)
          : `${r.device} ${r.point} ${value}${r.unit ? ` ${r.unit}` : ''} is back within ${limit}`,
      data: { rule: rule.id, value, limit, ...(r.unit ? { unit: r.unit } : {}) },
    });
    if (!state.active) {
      if (!beyond) {
        state.pendingSince = undefined;
        return;
      }
      state.pendingSince ??= now;
      if (now - state.pendingSince >= rule.forMs) {
        state.active = true;
        state.pendingSince = undefined;
        this.raise(event('active'));
      }
    } else if (back) {
      state.active = false;
      this.raise(event('cleared'));
    }
  }
}
