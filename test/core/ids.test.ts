import { decodeTime, isValid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { createIdFactory } from '../../gateway/core/ids.js';

describe('the id factory', () => {
  it('makes valid ULIDs with the given time, unique and sorted in the order made, within and across milliseconds', () => {
    const ids = createIdFactory();
    const t0 = Date.parse('2026-11-29T12:00:00.000Z');
    const made: string[] = [];
    for (let ms = 0; ms < 20; ms++) for (let i = 0; i < 500; i++) made.push(ids(t0 + ms));
    for (const id of made.slice(0, 50)) expect(isValid(id), id).toBe(true);
    expect(made.every((id) => id.length === 26)).toBe(true);
    expect(decodeTime(made[0]!)).toBe(t0);
    expect(decodeTime(made.at(-1)!)).toBe(t0 + 19);
    expect(new Set(made).size).toBe(made.length);
    expect([...made].sort()).toEqual(made);
  });

  it('keeps counting in the last millisecond when the time goes back, and two factories do not collide', () => {
    const a = createIdFactory();
    const b = createIdFactory();
    const t = Date.parse('2026-11-29T12:00:00.000Z');
    const first = a(t);
    const back = a(t - 1000);
    expect(back > first).toBe(true);
    expect(decodeTime(back)).toBe(t);
    expect(b(t)).not.toBe(first);
  });
});
