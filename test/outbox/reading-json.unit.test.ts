import { describe, expect, it } from 'vitest';
import { createIdFactory } from '../../gateway/core/ids.js';
import type { Reading } from '../../gateway/core/model.js';
import { ReadingJson } from '../../gateway/outbox/reading-json.js';

const ids = createIdFactory();
const TS = '2026-11-30T02:50:01.123Z';

/** A reading in contract field order, as the normalizer builds them (unit and error only when given). */
function reading(f: Partial<Reading> & Pick<Reading, 'value'>): Reading {
  const base = { id: f.id ?? ids(), device: f.device ?? 'dev001', point: f.point ?? 'r0', ts: f.ts ?? TS, value: f.value };
  const quality = f.quality ?? 'good';
  const withUnit: Reading = f.unit === undefined ? { ...base, quality } : { ...base, unit: f.unit, quality };
  return f.error === undefined ? withUnit : { ...withUnit, error: f.error };
}

describe('ReadingJson: the hand-built reading text', () => {
  it('is the text JSON.stringify gives, for every kind of value, unit, quality and name', () => {
    const json = new ReadingJson();
    const cases: Reading[] = [
      reading({ value: 0 }),
      reading({ value: -0 }),
      reading({ value: 65535 }),
      reading({ value: -12.5, unit: 'Cel' }),
      reading({ value: 0.1 + 0.2, unit: 'm3/h' }),
      reading({ value: 1e21 }),
      reading({ value: 5e-324 }),
      reading({ value: Number.MAX_VALUE }),
      reading({ value: true }),
      reading({ value: false, unit: '1' }),
      reading({ value: 'open' }),
      reading({ value: 'say "hi"\n\u2028' }),
      reading({ value: null, quality: 'bad', error: 'timeout "after" 3 tries' }),
      reading({ value: 7, quality: 'uncertain', error: 'device time not trusted' }),
      reading({ value: 7, quality: 'uncertain' }),
      reading({ value: Number.NaN }),
      reading({ value: Number.POSITIVE_INFINITY }),
      reading({ value: 3, device: 'zone.北门', point: 'occupancy' }),
      reading({ value: 3, device: 'dev"q', point: 'p\\x' }),
      reading({ value: 3, device: 'dev001', point: 'ch3/people.in', unit: '人' }),
      reading({ value: 3, unit: 'a"b' }),
      reading({ value: 3, id: 'id with "quotes"' }),
      reading({ value: 3, ts: '2026-11-30T02:50:01.123Z\u0000' }),
      reading({ value: 3, ts: '2026-11-30T10:50:01.123+08:00' }),
    ];
    for (const r of cases) expect(json.stringify(r)).toBe(JSON.stringify(r));
    // Again, now from the caches (heads, tails, the last time string).
    for (const r of cases) expect(json.stringify(r)).toBe(JSON.stringify(r));
  });

  it('gives valid JSON that parses back to the reading, over many points and devices', () => {
    const json = new ReadingJson();
    for (let d = 0; d < 20; d++) {
      for (let p = 0; p < 50; p++) {
        const r = reading({ value: (d * 50 + p) / 7, device: `dev${d}`, point: `r${p}`, unit: p % 2 ? 'V' : undefined });
        const text = json.stringify(r);
        expect(text).toBe(JSON.stringify(r));
        expect(JSON.parse(text)).toEqual(r);
      }
    }
  });

  it('stays correct once its cache of points is full (new points are serialized without it)', () => {
    const json = new ReadingJson(3);
    for (let p = 0; p < 10; p++) {
      const r = reading({ value: p, point: `r${p}` });
      expect(json.stringify(r)).toBe(JSON.stringify(r));
    }
    const again = reading({ value: 1, point: 'r1' });
    expect(json.stringify(again)).toBe(JSON.stringify(again));
  });
});
