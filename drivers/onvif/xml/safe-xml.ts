import { deviceText } from '../transport/device-text.js';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { OnvifError } from '../transport/onvif-error.js';
import type { XmlAttribute, XmlElement } from './xml-element.js';
import { xmlUnescape } from './xml-escape.js';

/** 1 MiB: the largest SOAP answer we accept (a GetProfiles of a 64-channel NVR is ~300 kB). */
export const DEFAULT_MAX_XML_BYTES = 1024 * 1024;
/** Deeper nesting than this is an attack or a broken device, not ONVIF. */
const MAX_DEPTH = 64;

/**
 * Options chosen for safety. We refuse any DOCTYPE before parsing (a SOAP 1.2 message MUST NOT
 * contain a DTD, SOAP 1.2 part 1 §5), so no internal or external entity can be declared and
 * no expansion (XXE, "billion laughs") is possible; fast-xml-parser's own entity processing is
 * switched off and the five predefined entities are decoded by `xmlUnescape`.
 */
const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  removeNSPrefix: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: false,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  maxNestedTags: MAX_DEPTH,
});

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

/**
 * Parses an XML document into namespace-resolved elements. Throws E_ONVIF_XML for anything
 * malformed, oversized or carrying a DOCTYPE/ENTITY declaration; `where` names the camera.
 */
export function parseXml(input: string | Buffer, where: string, maxBytes = DEFAULT_MAX_XML_BYTES): XmlElement {
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (size > maxBytes) throw new OnvifError('E_ONVIF_XML', `answer from ${where} is ${size} bytes, over the ${maxBytes}-byte cap`);
  const text = typeof input === 'string' ? input : input.toString('utf8');
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) {
    throw new OnvifError('E_ONVIF_XML', `answer from ${where} carries a DOCTYPE or ENTITY declaration; refused (no DTDs in SOAP)`);
  }
  // The parser alone accepts unclosed and mismatched tags (`<a><b></a>`); the validator does not.
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new OnvifError('E_ONVIF_XML', `answer from ${where} is not well-formed XML: ${deviceText(valid.err.msg)} at line ${valid.err.line}`);
  }
  let ordered: OrderedNode[];
  try {
    ordered = parser.parse(text) as OrderedNode[];
  } catch (err) {
    throw new OnvifError('E_ONVIF_XML', `answer from ${where} could not be parsed`, { cause: err });
  }
  const roots = ordered.filter((n) => elementName(n) !== undefined);
  if (roots.length !== 1) throw new OnvifError('E_ONVIF_XML', `answer from ${where} has ${roots.length} root elements, expected 1`);
  return toElement(roots[0]!, new Map([['xml', 'http://www.w3.org/XML/1998/namespace']]), where, 0);
}

function elementName(n: OrderedNode): string | undefined {
  for (const k of Object.keys(n)) if (k !== ':@' && k !== '#text' && !k.startsWith('?')) return k;
  return undefined;
}

function toElement(node: OrderedNode, parentScope: ReadonlyMap<string, string>, where: string, depth: number): XmlElement {
  if (depth > MAX_DEPTH) throw new OnvifError('E_ONVIF_XML', `answer from ${where} nests deeper than ${MAX_DEPTH}`);
  const qname = elementName(node)!;
  const rawAttrs = node[':@'] ?? {};
  let scope = parentScope;
  for (const [k, v] of Object.entries(rawAttrs)) {
    if (k === 'xmlns' || k.startsWith('xmlns:')) {
      if (scope === parentScope) scope = new Map(parentScope);
      (scope as Map<string, string>).set(k === 'xmlns' ? '' : k.slice(6), xmlUnescape(v));
    }
  }
  const attrs: XmlAttribute[] = [];
  for (const [k, v] of Object.entries(rawAttrs)) {
    if (k === 'xmlns' || k.startsWith('xmlns:')) continue;
    const i = k.indexOf(':');
    // Unprefixed attributes are in no namespace (XML Namespaces 1.0 §6.2).
    const ns = i < 0 ? '' : scope.get(k.slice(0, i));
    if (ns === undefined) throw new OnvifError('E_ONVIF_XML', `answer from ${where} uses undeclared prefix in attribute ${k}`);
    attrs.push({ ns, local: i < 0 ? k : k.slice(i + 1), value: xmlUnescape(String(v)) });
  }
  const i = qname.indexOf(':');
  const ns = i < 0 ? (scope.get('') ?? '') : scope.get(qname.slice(0, i));
  if (ns === undefined) throw new OnvifError('E_ONVIF_XML', `answer from ${where} uses undeclared prefix in <${qname}>`);
  const children: XmlElement[] = [];
  let text = '';
  for (const c of (node[qname] as OrderedNode[] | undefined) ?? []) {
    if ('#text' in c) text += String(c['#text']);
    else if (elementName(c) !== undefined) children.push(toElement(c, scope, where, depth + 1));
  }
  return { ns, local: i < 0 ? qname : qname.slice(i + 1), attrs, children, text: xmlUnescape(text).trim(), scope };
}
