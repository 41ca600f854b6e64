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
  | { kind: 'reset' };

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
        }
        else walk(v);
      });
    } else if (typeof node === 'object' && node !== null) {
      for (const [k, v] of Object.entries(node)) {
        if (typeof v === 'number' && !META_KEYS.has(k)) {
          target = { parent: node as Record<string, unknown>, key: k };
          first ??= target;
        }
        else walk(v);
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
