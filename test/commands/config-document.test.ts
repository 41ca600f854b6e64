import { describe, expect, it } from 'vitest';
import { assertSafeKeys, diffSummary, documentHash, keepRedacted, mergePatch } from '../../gateway/commands/config-document.js';

describe('config documents (pure)', () => {
  it.each([
    // RFC 7386 Appendix A test cases
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('merge patch %j + %j = %j (RFC 7386 appendix A)', (target, patch, result) => {
    expect(mergePatch(target, patch)).toEqual(result);
  });

  it('does not change the target', () => {
    const target = { a: { b: 1 } };
    mergePatch(target, { a: { b: 2 } });
    expect(target).toEqual({ a: { b: 1 } });
  });

  it('keeps current values where a document says [redacted], and names places with nothing to keep', () => {
    const current = { platform: { password: { env: 'X' }, url: 'mqtt://a' }, devices: [{ id: 'c', token: 's3cret' }] };
    const next = {
      platform: { password: '[redacted]', url: 'mqtt://b' },
      devices: [
        { id: 'c', token: '[redacted]' },
        { id: 'd', token: '[redacted]' },
      ],
    };
    const r = keepRedacted(next, current);
    expect(r.doc).toEqual({
      platform: { password: { env: 'X' }, url: 'mqtt://b' },
      devices: [
        { id: 'c', token: 's3cret' },
        { id: 'd', token: '[redacted]' },
      ],
    });
    expect(r.missing).toEqual(['devices[1].token']);
  });

  it('hashes canonical JSON: key order does not matter, values do', () => {
    expect(documentHash({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(documentHash({ b: [1, { d: 3, c: 2 }], a: 1 }));
    expect(documentHash({ a: 1 })).not.toBe(documentHash({ a: 2 }));
    expect(documentHash({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses keys that reach a prototype, saying where', () => {
    expect(() => assertSafeKeys(JSON.parse('{"a":[{"__proto__":{"x":1}}]}'), 'args.doc')).toThrow('args.doc.a[0]: the key "__proto__" is not allowed');
    expect(() => assertSafeKeys({ constructor: 1 }, 'args.patch')).toThrow(/constructor/);
    expect(() => assertSafeKeys({ a: { b: [1, 'x'] } }, 'args.doc')).not.toThrow();
  });

  it('summarises a diff in one line', () => {
    expect(diffSummary([])).toBe('no change');
    expect(diffSummary([{ path: 'a', kind: 'changed' }])).toBe('1 change: a changed');
    const many = Array.from({ length: 10 }, (_, i) => ({ path: `p${i}`, kind: 'added' as const }));
    expect(diffSummary(many, 2)).toBe('10 changes: p0 added, p1 added, and 8 more');
  });
});
