/**
 * A small, safe JSON path: where a point's value sits in a sensor's JSON payload.
 *
 *   $.counts.in                 member access ($ and the leading dot are optional: counts.in)
 *   data[0].value  data[-1]     array index (negative counts from the end)
 *   $['pm2.5']                  a member whose name has dots or spaces
 *   counts[?name=fw].value      the first array element whose member `name` equals `fw`
 *                               (`[?line=1]` compares numbers, `[?name="a b"]` quoted strings)
 *
 * Hand-written rather than a JSONPath library on purpose: none is installed, the full JSONPath
 * grammar has script expressions (`?(@...)`) that some libraries evaluate (remote code
 * execution CVEs in the past), and a path compiled once into steps is a few property reads per
 * message on the hot path. Nothing here evaluates code or walks the whole document.
 */

export type PathStep = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'match'; field: string; value: string | number | boolean };

export interface JsonPath {
  /** The path as written, for messages (`$.pm25`). */
  readonly text: string;
  readonly steps: readonly PathStep[];
}

/** The result of evaluating a path: found (value may be null) or not. */
export type PathResult = { found: true; value: unknown } | { found: false };

const NOT_FOUND: PathResult = { found: false };
const IDENT = /^[A-Za-z_$][A-Za-z0-9_$-]*/;

/** Compiles a path, or returns why it is not valid. */
export function compileJsonPath(text: string): JsonPath | string {
  const steps: PathStep[] = [];
  let s = text.trim();
  if (s.length === 0) return 'is empty';
  if (s.length > 256) return 'is longer than 256 characters';
  if (s.startsWith('$')) s = s.slice(1);
  else if (!IDENT.test(s) && !s.startsWith('[')) return `must start with $, a name or [ (got "${text}")`;
  let first = !text.trim().startsWith('$');
  while (s.length > 0) {
    if (s.startsWith('.') || first) {
      if (s.startsWith('.')) s = s.slice(1);
      first = false;
      if (s.startsWith('[')) continue;
      const m = IDENT.exec(s);
      if (!m) return `expects a member name after "." in "${text}"`;
      steps.push({ kind: 'key', key: m[0] });
      s = s.slice(m[0].length);
      continue;
    }
    if (!s.startsWith('[')) return `unexpected "${s[0]}" in "${text}" (use .name, [0], ['name'] or [?field=value])`;
    const close = findClose(s);
    if (close < 0) return `has an unclosed [ in "${text}"`;
    const inner = s.slice(1, close).trim();
    s = s.slice(close + 1);
    if (/^-?\d+$/.test(inner)) {
      steps.push({ kind: 'index', index: Number(inner) });
    } else if (/^'[^']*'$|^"[^"]*"$/.test(inner)) {
      steps.push({ kind: 'key', key: inner.slice(1, -1) });
    } else if (inner.startsWith('?')) {
      const m = /^\?\s*([A-Za-z_$][A-Za-z0-9_$-]*)\s*==?\s*(.+)$/.exec(inner);
      if (!m) return `has a filter "[${inner}]" that is not [?field=value] in "${text}"`;
      steps.push({ kind: 'match', field: m[1]!, value: literal(m[2]!.trim()) });
    } else {
      return `has "[${inner}]": expected a number, a quoted name or ?field=value in "${text}"`;
    }
    first = false;
  }
  if (steps.length === 0) return 'selects the whole payload; name a member';
  if (steps.length > 32) return 'has more than 32 steps';
  return { text, steps };
}

function findClose(s: string): number {
  let quote: string | undefined;
  for (let i = 1; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === ']') {
      return i;
    }
  }
  return -1;
}

function literal(v: string): string | number | boolean {
  if (/^'[^']*'$|^"[^"]*"$/.test(v)) return v.slice(1, -1);
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  return v;
}

/** Evaluates a compiled path against a parsed payload. Only own members are read. */
export function evaluate(path: JsonPath, doc: unknown): PathResult {
  let cur: unknown = doc;
  for (const step of path.steps) {
    if (step.kind === 'key') {
      if (typeof cur !== 'object' || cur === null || Array.isArray(cur) || !Object.hasOwn(cur, step.key)) return NOT_FOUND;
      cur = (cur as Record<string, unknown>)[step.key];
    } else if (step.kind === 'index') {
      if (!Array.isArray(cur)) return NOT_FOUND;
      const i = step.index < 0 ? cur.length + step.index : step.index;
      if (i < 0 || i >= cur.length) return NOT_FOUND;
      cur = cur[i];
    } else {
      if (!Array.isArray(cur)) return NOT_FOUND;
      let hit: unknown;
      for (const el of cur) {
        if (typeof el === 'object' && el !== null && Object.hasOwn(el, step.field) && (el as Record<string, unknown>)[step.field] === step.value) {
          hit = el;
          break;
        }
      }
      if (hit === undefined) return NOT_FOUND;
      cur = hit;
    }
  }
  return { found: true, value: cur };
}
