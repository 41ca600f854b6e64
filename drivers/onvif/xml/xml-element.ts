/**
 * A namespace-resolved XML element. Every element and attribute carries its namespace URI, so
 * callers match on (URI, local name) and never on a prefix (XML Namespaces 1.0 §6).
 */
export interface XmlElement {
  readonly ns: string;
  readonly local: string;
  readonly attrs: readonly XmlAttribute[];
  readonly children: readonly XmlElement[];
  /** The element's own text content (concatenated, trimmed). */
  readonly text: string;
  /** Prefix → URI in scope at this element, for QName values in text (topics, fault codes). */
  readonly scope: ReadonlyMap<string, string>;
}

export interface XmlAttribute {
  readonly ns: string;
  readonly local: string;
  readonly value: string;
}

/** The first child element with this namespace and local name. */
export function child(el: XmlElement | undefined, ns: string, local: string): XmlElement | undefined {
  return el?.children.find((c) => c.local === local && c.ns === ns);
}

/** All child elements with this namespace and local name. */
export function childrenOf(el: XmlElement | undefined, ns: string, local: string): XmlElement[] {
  return el ? el.children.filter((c) => c.local === local && c.ns === ns) : [];
}

/** Follows a path of [ns, local] steps from `el`. */
export function path(el: XmlElement | undefined, ...steps: ReadonlyArray<readonly [string, string]>): XmlElement | undefined {
  let cur = el;
  for (const [ns, local] of steps) cur = child(cur, ns, local);
  return cur;
}

/** A child matched by local name in any namespace (for vendor answers that misplace a namespace). */
export function childAnyNs(el: XmlElement | undefined, local: string): XmlElement | undefined {
  return el?.children.find((c) => c.local === local);
}

/** Depth-first search for the first element with this namespace and local name. */
export function findDeep(el: XmlElement | undefined, ns: string, local: string): XmlElement | undefined {
  if (!el) return undefined;
  if (el.ns === ns && el.local === local) return el;
  for (const c of el.children) {
    const hit = findDeep(c, ns, local);
    if (hit) return hit;
  }
  return undefined;
}

/** An attribute value; unprefixed attributes have no namespace (XML Namespaces 1.0 §6.2). */
export function attr(el: XmlElement | undefined, local: string, ns = ''): string | undefined {
  return el?.attrs.find((a) => a.local === local && a.ns === ns)?.value;
}

/** Resolves a QName written in text (`ter:NotAuthorized`) against the element's scope. */
export function resolveQName(el: XmlElement, qname: string): { ns: string; local: string } {
  const i = qname.indexOf(':');
  if (i < 0) return { ns: el.scope.get('') ?? '', local: qname };
  return { ns: el.scope.get(qname.slice(0, i)) ?? '', local: qname.slice(i + 1) };
}
