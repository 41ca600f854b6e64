import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it, vi } from 'vitest';
import type { Reading } from '../../gateway/core/model.js';
import { LiveCache } from '../../gateway/ui/live-cache.js';

const ts = (s: number) => new Date(Date.UTC(2026, 10, 30, 6, 0, s)).toISOString();
const reading = (point: string, value: Reading['value'], s: number, extra: Partial<Reading> = {}): Reading => ({
  id: `01JDZ${point}${s}`.padEnd(26, '0'),
  device: 'plc-1',
  point,
  ts: ts(s),
  value,
  quality: 'good',
  ...extra,
});

describe('LiveCache values', () => {
  it('shows the last value of each point in first-seen order, with quality, unit and error of that last reading', () => {
    const live = new LiveCache();
    live.onReadings([reading('a', 1, 0, { unit: 'kW' }), reading('b', true, 0)]);
    live.onReadings([reading('b', null, 1, { quality: 'bad', error: 'timeout' }), reading('a', 2.5, 1, { unit: 'kW' })]);
    live.onReadings([reading('c', 'on', 2, { device: 'plc-2' })]);
    live.onReadings([reading('a', 3, 2, { quality: 'uncertain' })]);
    expect(live.latest('plc-1')).toEqual([
      { device: 'plc-1', point: 'a', ts: ts(2), value: 3, unit: undefined, quality: 'uncertain', error: undefined },
      { device: 'plc-1', point: 'b', ts: ts(1), value: null, unit: undefined, quality: 'bad', error: 'timeout' },
    ]);
    expect(live.latest('plc-2')).toMatchObject([{ point: 'c', value: 'on' }]);
    expect(live.latest('nobody')).toEqual([]);
    expect(live.pointCount()).toBe(3);
    // Copies: what a caller does with them does not change the cache.
    live.latest('plc-1')[0]!.value = 99;
    expect(live.latest('plc-1')[0]!.value).toBe(3);
  });

  it('keeps no Reading object once a newer value of its point arrived (they would be promoted every poll)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const live = new LiveCache();
    const refs: WeakRef<Reading>[] = [];
    const poll = (s: number) => {
      const rs = [reading('a', s, s), reading('b', s * 0.5, s)];
      for (const r of rs) refs.push(new WeakRef(r));
      live.onReadings(rs);
    };
    for (let s = 0; s < 5; s++) poll(s);
    // WeakRefs are held to the end of the job that made them: collect in later turns.
    await vi.waitFor(
      async () => {
        await new Promise((resolve) => setImmediate(resolve));
        gc();
        expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0);
      },
      { timeout: 20_000, interval: 50 },
    );
    expect(live.latest('plc-1').map((v) => v.value)).toEqual([4, 2]);
  });
});
