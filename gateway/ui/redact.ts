import { redactUrlCredentials } from '../core/logger.js';

/** Keys whose literal string values are secrets (a `{ env }` / `{ file }` reference is not). */
const SECRET_KEY = /pass(word)?|secret|token|credential|private/i;
export const REDACTED = '[redacted]';

/**
 * A copy of a document with secrets removed: literal strings under secret-looking keys become
 * `[redacted]`, and `user:pass@` is stripped from every URL. References (`{ env: NAME }`) stay:
 * they say where the secret is, not what it is.
 */
export function redactDoc<T>(value: T, key = ''): T {
  if (typeof value === 'string') return (SECRET_KEY.test(key) ? REDACTED : redactUrlCredentials(value)) as T;
  if (Array.isArray(value)) return value.map((v) => redactDoc(v, '')) as T;
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDoc(v, SECRET_KEY.test(k) ? k : '');
    return out as T;
  }
  return value;
}

/** Redacts one log line (already JSON): secret-looking fields and URL credentials. */
export function redactLine(line: string): string {
  return redactUrlCredentials(line).replace(/"([^"]*(?:pass(?:word)?|secret|token|authorization|cookie)[^"]*)":"(?:[^"\\]|\\.)*"/gi, `"$1":"${REDACTED}"`);
}
