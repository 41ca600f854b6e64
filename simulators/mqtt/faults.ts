/**
 * Fault injection for simulated MQTT sensors: what broken firmware, a misconfigured sensor or
 * an attacker sends. Each fault is one publish (a burst is many good ones at once).
 */
export type SensorFault =
  /** Not JSON at all (`temperature=21.4;humidity=45`). */
  | { kind: 'not-json' }
  /** The last data value becomes a string ("n/a"). */
  | { kind: 'wrong-type'; value?: unknown }
  /** The first data value is left out. */
  | { kind: 'missing-field' }
  /** A good payload padded to `bytes` (default 100 kB). */
  | { kind: 'oversized'; bytes?: number }
  /** A publish on a topic that is not the sensor's (another device's, by default): the broker closes the connection. */
  | { kind: 'wrong-topic'; topic?: string }
  /** A subscription the sensor is not allowed (default `#`). */
  | { kind: 'subscribe'; filter?: string }
  /** `count` good messages at once, as fast as the connection takes them. */
  | { kind: 'burst'; count: number }
  /** The previous message again, byte for byte (a QoS 1 resend). */
  | { kind: 'duplicate' }
  /** The device's counters go back to 0 (a reboot). */
  | { kind: 'reset' }
  /** A data member twice in its object, the second one huge: `{"in": 12, "in": 99999999}`. */
  | { kind: 'duplicate-key'; value?: number }
  /** The payload's time in 2099 (a device clock gone wrong). */
  | { kind: 'future-time' }
  /** One message whose last data value jumps (default 99 999 999), the device's own count unchanged. */
  | { kind: 'jump'; value?: number };

/** Where payloads keep their time (the shipped shapes). */
const TIME_KEYS = new Set(['ts', 'time', 'timestamp', 'to']);
const FUTURE_MS = Date.UTC(2099, 0, 1);

/** Sets every time of a payload to 2099-01-01, in the format it had (ISO, epoch s or ms); true if one was found. */
export function futureTime(doc: unknown): boolean {
  let found = false;
  const walk = (node: unknown) => {
    if (typeof node !== 'object' || node === null) return;
    for (const [k, v] of Object.entries(node)) {
      if (TIME_KEYS.has(k) && (typeof v === 'string' || typeof v === 'number')) {
        (node as Record<string, unknown>)[k] = typeof v === 'string' ? new Date(FUTURE_MS).toISOString() : v < 1e11 ? FUTURE_MS / 1000 : FUTURE_MS;
        found = true;
      } else walk(v);
    }
  };
  walk(doc);
  return found;
}

/**
 * The payload's text with one data member written twice (the name of the last data member, in
 * the first object depth-first that has it), the second time with `value`. JSON.stringify cannot
 * write a duplicate key: a placeholder is replaced in the text.
 */
export function withDuplicateKey(doc: unknown, value: number): string {
  const mark = '__gridgate_duplicate__';
  let original: unknown;
  let key: string | undefined;
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (typeof node === 'object' && node !== null) {
      for (const [k, v] of Object.entries(node)) {
        if (typeof v === 'number' && !META_KEYS.has(k)) key = k;
        else walk(v);
      }
    }
  };
  walk(doc);
  if (key === undefined) return JSON.stringify(doc);
  const target = key;
  const replace = (node: unknown): boolean => {
    if (Array.isArray(node)) return node.some(replace);
    if (typeof node !== 'object' || node === null) return false;
    const rec = node as Record<string, unknown>;
    for (const v of Object.values(rec)) if (typeof v === 'object' && v !== null && replace(v)) return true;
    if (typeof rec[target] === 'number') {
      original = rec[target];
      rec[target] = mark;
      return true;
    }
    return false;
  };
  replace(doc);
  const k = JSON.stringify(target);
  return JSON.stringify(doc).replace(`${k}:"${mark}"`, `${k}:${JSON.stringify(original)},${k}:${value}`);
}

/** Keys that hold times and ids, never the "data value" a fault corrupts. */
const META_KEYS = new Set(['ts', 'time', 'timestamp', 'from', 'to', 'line', 'line_id', 'element-id', 'id', 'apiVersion']);

/** Changes the last numeric data leaf of a payload, or removes the first one, in place; true if one was found. */
export function corruptValue(doc: unknown, replacement: unknown, remove = false): boolean {
  let target: { parent: Record<string, unknown> | unknown[]; key: string | number } | undefined;
  let first: typeof target;
  const walk = (node: unknown) => {
    if (Array.isArray(node)) {
      node.forEach((v, i) => {
        if (typeof v === 'number') {
          target = { parent: node, key: i };
          first ??= target;
        } else walk(v);
      });
    } else if (typeof node === 'object' && node !== null) {
      for (const [k, v] of Object.entries(node)) {
        if (typeof v === 'number' && !META_KEYS.has(k)) {
          target = { parent: node as Record<string, unknown>, key: k };
          first ??= target;
        } else walk(v);
      }
    }
  };
  walk(doc);
  if (remove) target = first;
  if (!target) return false;
  if (Array.isArray(target.parent)) {
    if (remove) target.parent.splice(target.key as number, 1);
    else target.parent[target.key as number] = replacement;
  } else if (remove) {
    delete target.parent[target.key as string];
  } else {
    target.parent[target.key as string] = replacement;
  }
  return true;
}
