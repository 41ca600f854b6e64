import { describe, expect, it } from 'vitest';
import { type CountTime, PlausibleCounter } from '../../gateway/core/plausible-counter.js';
import { parseStrictJson } from '../../drivers/mqtt/strict-json.js';

/** A clock for readings `stepMs` apart. */
function ticks(stepMs: number): (extraMs?: number) => CountTime {
  let t = 1_000;
  return (extraMs = 0) => {
    t += stepMs + extraMs;
    return { mono: t, wall: 1_800_000_000_000 + t };
  };
}

describe('the counting-line plausibility model (20 people/s, 5 s slack, 3 confirmations)', () => {
  it('does not count a one-message jump and goes on from the last good value', () => {
    const at = ticks(1_000);
    const c = PlausibleCounter.fresh('cumulative');
    c.next(1, at());
    const jump = c.next(99_999_999, at());
    expect(jump).toMatchObject({ kind: 'implausible', total: 1, raw: 99_999_999, last: 1, change: 99_999_998, allowed: 120 });
    expect(c.next(2, at())).toEqual({ kind: 'counted', total: 2, delta: 1 }); // not a reset, not a re-base
  });

  it('does not take a huge value followed by a small one as a reset', () => {
    const at = ticks(1_000);
    const out = PlausibleCounter.fresh('cumulative');
    out.next(5, at());
    expect(out.next(4_000_000_000, at()).kind).toBe('implausible');
    expect(out.next(6, at())).toEqual({ kind: 'counted', total: 6, delta: 1 });
    expect(out.total).toBe(6);
  });

  it('takes a drop to near zero as a reset, a drop to a middle value only when the next readings confirm it', () => {
    const at = ticks(10_000);
    const c = PlausibleCounter.fresh('cumulative');
    c.next(12_000, at());
    expect(c.next(3, at())).toEqual({ kind: 'counted', total: 12_003, delta: 3, event: 'reset' });
    c.next(12_000, at()); // a jump: pending
    expect(c.next(5, at())).toEqual({ kind: 'counted', total: 12_005, delta: 2 }); // back on track: the jump was a glitch
    expect(c.next(2_000, at()).kind).toBe('implausible'); // drop? no: a jump of 1 995 in 10 s
    expect(c.next(2_010, at()).kind).toBe('implausible');
    expect(c.next(2_030, at())).toEqual({ kind: 'counted', total: 12_035, delta: 30, event: 'rebased' });
  });

  it('allows what the elapsed time allows: a plausible burst after a quiet minute is counted', () => {
    const at = ticks(60_000);
    const c = PlausibleCounter.fresh('cumulative', { maxRatePerSec: 5, slackSec: 5, confirmations: 3 });
    c.next(0, at());
    expect(c.next(300, at())).toMatchObject({ kind: 'counted', delta: 300 }); // ≤ 5 × 65
    expect(c.next(700, at())).toMatchObject({ kind: 'implausible', allowed: 325 });
  });

  it('checks interval counts against the interval', () => {
    const at = ticks(60_000);
    const c = PlausibleCounter.fresh('interval');
    expect(c.next(300, at())).toEqual({ kind: 'counted', total: 300, delta: 300 });
    expect(c.next(5_000, at())).toMatchObject({ kind: 'implausible', total: 300 });
    expect(c.next(40, at())).toEqual({ kind: 'counted', total: 340, delta: 40 });
  });

  it('measures elapsed time on the monotonic clock within a process (a wall step changes nothing)', () => {
    const c = PlausibleCounter.fresh('cumulative');
    c.next(0, { mono: 0, wall: 1_800_000_000_000 });
    // the wall clock jumped a day ahead, 1 s passed: 20 × (1 + 5) = 120 allowed, not 1.7 million
    expect(c.next(1_000, { mono: 1_000, wall: 1_800_086_401_000 })).toMatchObject({ kind: 'implausible', allowed: 120 });
  });
});

describe('payload parsing', () => {
  it('refuses duplicate member names, also escaped and nested ones', () => {
    expect(parseStrictJson('{"in": 1, "in": 99999999}')).toMatchObject({
      ok: false,
      kind: 'duplicateKey',
      problem: expect.stringContaining('"in" appears twice'),
    });
    expect(parseStrictJson('{"in": 1, "\\u0069n": 99999999}')).toMatchObject({ ok: false, kind: 'duplicateKey' });
    expect(parseStrictJson('{"a": [{"x": 1, "y": {"v": 1, "v": 2}}]}')).toMatchObject({ ok: false, kind: 'duplicateKey' });
    expect(parseStrictJson('{"a": {"in": 1}, "b": {"in": 2}, "in": 3}')).toEqual({ ok: true, doc: { a: { in: 1 }, b: { in: 2 }, in: 3 } });
    expect(parseStrictJson('[{"in": 1}, {"in": 2}]')).toEqual({ ok: true, doc: [{ in: 1 }, { in: 2 }] });
    expect(parseStrictJson('{"in": 1,}')).toMatchObject({ ok: false, kind: 'notJson' });
    expect(parseStrictJson('{"in": 1} // c')).toMatchObject({ ok: false, kind: 'notJson' });
    expect(parseStrictJson('"a:b"')).toEqual({ ok: true, doc: 'a:b' });
  });
});
