/**
 * MQTT topic filters with one addition: a `{device}` level, replaced by the device's `topicId`
 * (its id unless set). `sensors/{device}/data` in a profile becomes `sensors/env-07/data` for
 * device env-07; `counters/{device}/#` every topic under it. `+` and `#` keep their MQTT
 * meaning (MQTT 3.1.1 section 4.7.1).
 */

/** `{device}` in a topic pattern. */
export const DEVICE_PLACEHOLDER = '{device}';

/** Why a pattern is not a valid topic filter, or undefined when it is. */
export function checkTopicPattern(pattern: string): string | undefined {
  if (pattern.length === 0) return 'is empty';
  if (pattern.length > 512) return 'is longer than 512 characters';
  if (pattern.startsWith('$')) return 'starts with $ (reserved for broker topics, MQTT-4.7.2-1)';
  const levels = pattern.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    // [MQTT-4.7.1-2] # is alone in its level and the last; [MQTT-4.7.1-3] + is alone in its level.
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return `has "${level}": # must be the whole last level`;
    if (level.includes('+') && level !== '+') return `has "${level}": + must be a whole level`;
    if (level.includes('{') || level.includes('}')) {
      if (level !== DEVICE_PLACEHOLDER) return `has "${level}": the only placeholder is a whole {device} level`;
    }
  }
  return undefined;
}

/** Why a topic id (what `{device}` becomes) is not usable, or undefined. */
export function checkTopicId(id: string): string | undefined {
  if (id.length === 0 || id.length > 128) return 'must be 1..128 characters';
  if (/[/+#]/.test(id) || id.includes('\u0000')) return 'must not contain /, +, # or NUL';
  return undefined;
}

/** The filter a device subscribes to / is allowed to publish on. */
export function expandPattern(pattern: string, topicId: string): string {
  return pattern
    .split('/')
    .map((l) => (l === DEVICE_PLACEHOLDER ? topicId : l))
    .join('/');
}

export function hasWildcard(filter: string): boolean {
  return filter.includes('+') || filter.includes('#');
}

/** Whether a topic name matches a filter (MQTT 3.1.1 section 4.7). */
export function topicMatches(filter: string, topic: string): boolean {
  if (!hasWildcard(filter)) return filter === topic;
  // [MQTT-4.7.2-1] wildcards at the first level do not match topics starting with $.
  if (topic.startsWith('$')) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true; // also matches the parent level itself: sport/# matches sport
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Whether every topic `inner` matches is also matched by `outer` (for subscription ACLs). */
export function filterCovers(outer: string, inner: string): boolean {
  if (outer === inner) return true;
  const o = outer.split('/');
  const n = inner.split('/');
  for (let i = 0; i < o.length; i++) {
    if (o[i] === '#') return true;
    if (i >= n.length) return false;
    if (n[i] === '#') return false;
    if (o[i] !== '+' && o[i] !== n[i]) return false;
  }
  return o.length === n.length;
}
