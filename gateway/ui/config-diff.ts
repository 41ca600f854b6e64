import { redactDoc } from './redact.js';

export interface DiffEntry {
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

/**
 * What changed between two configuration documents, one entry per leaf (secrets redacted).
 * Devices are matched by id, not by position, so removing one does not show every later one as
 * changed.
 */
export function diffConfig(before: unknown, after: unknown): DiffEntry[] {
  const out: DiffEntry[] = [];
  walk(redactDoc(before), redactDoc(after), '', out);
  return out;
}

function walk(a: unknown, b: unknown, path: string, out: DiffEntry[]): void {
  if (a === undefined && b === undefined) return;
  if (a === undefined) return void out.push({ path: path || '(top level)', kind: 'added', after: b });
  if (b === undefined) return void out.push({ path: path || '(top level)', kind: 'removed', before: a });
  if (Array.isArray(a) && Array.isArray(b) && keyed(a) && keyed(b)) {
    const byId = (list: unknown[]) => new Map(list.map((x) => [(x as { id: string }).id, x]));
    const ma = byId(a);
    const mb = byId(b);
    for (const [id, x] of ma) walk(x, mb.get(id), `${path}[id=${id}]`, out);
    for (const [id, y] of mb) if (!ma.has(id)) walk(undefined, y, `${path}[id=${id}]`, out);
    return;
  }
  if (isObject(a) && isObject(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[k], b[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) walk(a[i], b[i], `${path}[${i}]`, out);
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path: path || '(top level)', kind: 'changed', before: a, after: b });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function keyed(list: unknown[]): boolean {
  return list.length > 0 && list.every((x) => isObject(x) && typeof x.id === 'string');
}
