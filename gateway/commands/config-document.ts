import { createHash } from 'node:crypto';
import { GatewayError } from '../core/errors.js';
import type { DiffEntry } from '../ui/config-diff.js';
import { REDACTED } from '../ui/redact.js';

type Json = unknown;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keys that would reach an object's prototype when assigned (`__proto__`, …): refused anywhere in a document or patch. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Throws E_BAD_ARGS naming the first unsafe key and where it is. */
export function assertSafeKeys(value: unknown, path: string): void {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) assertSafeKeys(v, `${path}[${i}]`);
  } else if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (UNSAFE_KEYS.has(k)) throw new GatewayError('E_BAD_ARGS', `${path}: the key "${k}" is not allowed`);
      assertSafeKeys(v, `${path}.${k}`);
    }
  }
}

/**
 * JSON Merge Patch (RFC 7386 §2): objects merge key by key, `null` removes a key, anything else
 * (arrays included) replaces. Hand-written: the algorithm is the eight lines of the RFC and no
 * dependency of ours ships it.
 */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * A document that came back from config-get may hold `[redacted]` where the current one has a
 * value: keep the current value there (write-only values stay where they are). Returns the paths
 * where there is nothing to keep.
 */
export function keepRedacted(next: Json, current: Json, path = ''): { doc: Json; missing: string[] } {
  if (next === REDACTED) return current === undefined ? { doc: next, missing: [path || '(top level)'] } : { doc: structuredClone(current), missing: [] };
  const missing: string[] = [];
  if (Array.isArray(next)) {
    const list = next.map((x, i) => {
      const r = keepRedacted(x, Array.isArray(current) ? current[i] : undefined, `${path}[${i}]`);
      missing.push(...r.missing);
      return r.doc;
    });
    return { doc: list, missing };
  }
  if (isObject(next)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(next)) {
      const r = keepRedacted(v, isObject(current) ? current[k] : undefined, path ? `${path}.${k}` : k);
      missing.push(...r.missing);
      out[k] = r.doc;
    }
    return { doc: out, missing };
  }
  return { doc: next, missing };
}

/** SHA-256 of the document as canonical JSON (keys sorted), hex: what config-get reports as `hash`. */
export function documentHash(doc: Json): string {
  return createHash('sha256').update(canonical(doc)).digest('hex');
}

function canonical(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => v[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** A short diff summary for events and results: `3 changes: platform.url changed, …` (at most `max` paths). */
export function diffSummary(diff: DiffEntry[], max = 8): string {
  if (diff.length === 0) return 'no change';
  const items = diff.slice(0, max).map((d) => `${d.path} ${d.kind}`);
  const more = diff.length > max ? `, and ${diff.length - max} more` : '';
  return `${diff.length} change${diff.length > 1 ? 's' : ''}: ${items.join(', ')}${more}`;
}
