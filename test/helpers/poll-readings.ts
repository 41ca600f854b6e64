import type { Clock } from '../../gateway/core/clock.js';
import type { Reading } from '../../gateway/core/model.js';
import type { TelemetryBatch } from '../../gateway/outbox/outbox.js';

/**
 * Polls as a Modbus poll gives them to the outbox: 100 readings of one device `m` (points r0..r99)
 * stamped with the clock, values counting up across the polls of one maker, so a test can check
 * order and completeness from the values alone (batchValues).
 */
export function pollMaker(ids: () => string, clock: Clock): (() => Reading[]) & { reset(): void; made(): number } {
  let next = 0;
  const poll = () =>
    Array.from({ length: 100 }, (_, i) => ({
      id: ids(),
      device: 'm',
      point: `r${i}`,
      ts: new Date(clock.now()).toISOString(),
      value: next++,
      quality: 'good' as const,
    }));
  /** Values start at 0 again (a test of its own). */
  const reset = () => {
    next = 0;
  };
  /** Readings made since the last reset: the next value. */
  const made = () => next;
  return Object.assign(poll, { reset, made });
}

/** The values of a telemetry batch's readings, in order. */
export const batchValues = (b: TelemetryBatch): number[] => (JSON.parse(`[${b.readings.join(',')}]`) as Reading[]).map((r) => r.value as number);
