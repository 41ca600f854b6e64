import type { SyntheticPoint } from './schema.js';

/** The value of a synthetic point at time `t` (ms); `state` carries walks and counters between samples. */
export function waveValue(point: SyntheticPoint, t: number, state: { value?: number }, random: () => number): number {
  const { min, max, periodMs } = point;
  const span = max - min;
  const phase = (t % periodMs) / periodMs;
  switch (point.wave) {
    case 'sine':
      return min + (span * (1 + Math.sin(2 * Math.PI * phase))) / 2;
    case 'ramp':
      return min + span * phase;
    case 'square':
      return phase < 0.5 ? min : max;
    case 'constant':
      return min;
    case 'random-walk': {
      const previous = state.value ?? min + span / 2;
      const next = Math.min(max, Math.max(min, previous + (random() - 0.5) * span * 0.05));
      state.value = next;
      return next;
    }
    case 'counter': {
      // A cumulative counter (people in, kWh) that wraps at `max` like a device register would.
      const previous = state.value ?? min;
      let next = previous + Math.round(point.step * 2 * random());
      if (next > max) next = min + (next - max - 1);
      state.value = next;
      return next;
    }
  }
}
