import type { SecretStore } from './secret-store.js';
import { SECRET_ENV_PREFIX, secretNameFor } from './secret-store.js';

/**
 * A form sends a new password as `{ "$secret": "value" }` where the schema wants a secret
 * reference. This swaps each for `{ env: GRIDGATE_SECRET_<PLACE> }` and returns the values to
 * store once the document is accepted; nothing else ever sees them.
 */
export function sealSecrets(doc: unknown, path: string[]): { doc: unknown; pending: Array<{ name: string; value: string }> } {
  const pending: Array<{ name: string; value: string }> = [];
  const walk = (v: unknown, at: string[]): unknown => {
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...at, String(i)]));
    if (typeof v !== 'object' || v === null) return v;
    const o = v as Record<string, unknown>;
    if (Object.keys(o).length === 1 && typeof o.$secret === 'string') {
      const name = secretNameFor(at);
      pending.push({ name, value: o.$secret });
      return { env: SECRET_ENV_PREFIX + name };
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, walk(x, [...at, k])]));
  };
  return { doc: walk(doc, path), pending };
}

export function commitSecrets(store: SecretStore, pending: Array<{ name: string; value: string }>): void {
  for (const p of pending) store.set(p.name, p.value);
}
