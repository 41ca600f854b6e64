import type { XmlElement } from '../xml/xml-element.js';

/**
 * A topic in canonical form: `{namespace-uri}Path/To/Leaf`. WS-Topics §7 writes topics as
 * QNames with a path (`tns1:RuleEngine/CellMotionDetector/Motion`); the prefix is whatever the
 * camera declared, so we resolve it to its URI and never compare the prefix text. A later
 * segment with its own prefix in another namespace keeps that namespace as `{uri}Local`.
 */
export function canonicalTopic(expression: string, resolve: (prefix: string) => string | undefined): string | undefined {
  // A ConcreteSet may list alternatives with '|'; a notification's own topic is concrete, take the first.
  const first = expression.split('|')[0]!.trim();
  if (!first) return undefined;
  const segments = first.split('/');
  let rootNs = '';
  const out: string[] = [];
  for (const [i, seg] of segments.entries()) {
    const c = seg.indexOf(':');
    const prefix = c < 0 ? undefined : seg.slice(0, c);
    const local = c < 0 ? seg : seg.slice(c + 1);
    if (!local) return undefined;
    const ns = prefix === undefined ? (i === 0 ? (resolve('') ?? '') : rootNs) : resolve(prefix);
    if (ns === undefined) return undefined;
    if (i === 0) {
      rootNs = ns;
      out.push(`{${ns}}${local}`);
    } else out.push(ns === rootNs ? local : `{${ns}}${local}`);
  }
  return out.join('/');
}

/** The canonical topic of a wsnt:Topic element, resolved against its own namespace scope. */
export function topicOf(el: XmlElement): string | undefined {
  return canonicalTopic(el.text, (p) => el.scope.get(p));
}

/**
 * A short, readable form for logs and `source.topic`: URIs the registry knows get their prefix
 * back (`tns1:RuleEngine/...`); others stay in Clark notation (`{http://vendor/topics}Sensor`).
 */
export function displayTopic(canonical: string, prefixes: ReadonlyMap<string, string>): string {
  return canonical.replace(/\{([^}]*)\}/g, (whole, uri: string) => {
    const p = prefixes.get(uri);
    return p ? `${p}:` : whole;
  });
}
