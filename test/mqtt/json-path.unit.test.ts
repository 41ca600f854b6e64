import { describe, expect, it } from 'vitest';
import { compileJsonPath, evaluate, type JsonPath } from '../../drivers/mqtt/json-path.js';

const path = (text: string) => {
  const p = compileJsonPath(text);
  if (typeof p === 'string') throw new Error(p);
  return p as JsonPath;
};
const get = (text: string, doc: unknown) => evaluate(path(text), doc);

describe('json paths', () => {
  const doc = {
    counts: { in: 12, out: 9 },
    data: [
      { type: 'temperature', value: 21.5 },
      { type: 'pm2.5', value: null },
    ],
    'pm2.5': 7,
    content: {
      element: [
        {
          counts: [
            { name: 'bw', value: 3 },
            { name: 'fw', value: 4 },
          ],
        },
      ],
    },
    lines: [
      { line: 1, in: 5 },
      { line: 2, in: 6 },
    ],
  };

  it('read members, indexes, quoted names and filters', () => {
    expect(get('$.counts.in', doc)).toEqual({ found: true, value: 12 });
    expect(get('counts.out', doc)).toEqual({ found: true, value: 9 });
    expect(get('data[0].value', doc)).toEqual({ found: true, value: 21.5 });
    expect(get('$.data[-1].type', doc)).toEqual({ found: true, value: 'pm2.5' });
    expect(get("$['pm2.5']", doc)).toEqual({ found: true, value: 7 });
    expect(get('$.content.element[0].counts[?name=fw].value', doc)).toEqual({ found: true, value: 4 });
    expect(get('$.data[?type=pm2.5].value', doc)).toEqual({ found: true, value: null });
    expect(get('$.lines[?line=2].in', doc)).toEqual({ found: true, value: 6 });
    expect(get('$.data[?type="temperature"].value', doc)).toEqual({ found: true, value: 21.5 });
  });

  it('report missing members, out-of-range indexes and unmatched filters as not found', () => {
    expect(get('$.counts.total', doc)).toEqual({ found: false });
    expect(get('$.data[5].value', doc)).toEqual({ found: false });
    expect(get('$.counts[0]', doc)).toEqual({ found: false });
    expect(get('$.lines[?line=3].in', doc)).toEqual({ found: false });
    expect(get('$.counts.in.deeper', doc)).toEqual({ found: false });
  });

  it('never read inherited members', () => {
    expect(get('$.constructor', {})).toEqual({ found: false });
    expect(get('$.__proto__', {})).toEqual({ found: false });
    expect(get('$.toString', { a: 1 })).toEqual({ found: false });
  });

  it('refuse what is not the small syntax, saying why', () => {
    expect(compileJsonPath('')).toBe('is empty');
    expect(compileJsonPath('$')).toMatch(/whole payload/);
    expect(compileJsonPath('$.a[')).toMatch(/unclosed/);
    expect(compileJsonPath('$.a[?(@.x==1)]')).toMatch(/not \[\?field=value\]/);
    expect(compileJsonPath('$..a')).toMatch(/expects a member name/);
    expect(compileJsonPath('$.a[*]')).toMatch(/expected a number/);
    expect(compileJsonPath('1abc')).toMatch(/must start with/);
  });
});
