import { deviceText } from '../transport/device-text.js';
import { OnvifError } from '../transport/onvif-error.js';
import { child, type XmlElement, path, resolveQName } from '../xml/xml-element.js';
import { NS } from './namespaces.js';
import type { SoapFault } from './soap-fault.js';

/** Namespace declarations every request carries, so bodies can use these prefixes freely. */
const DECLS = `xmlns:s="${NS.soap}" xmlns:tds="${NS.tds}" xmlns:trt="${NS.trt}" xmlns:tr2="${NS.tr2}" xmlns:tev="${NS.tev}" xmlns:tt="${NS.tt}" xmlns:wsnt="${NS.wsnt}" xmlns:wsa="${NS.wsa}"`;

/** A SOAP 1.2 envelope (SOAP 1.2 part 1 §5) with optional header blocks. */
export function soapEnvelope(body: string, headers = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?><s:Envelope ${DECLS}><s:Header>${headers}</s:Header><s:Body>${body}</s:Body></s:Envelope>`;
}

/** WS-Addressing 1.0 headers, needed on calls to a subscription (ONVIF Core §9.1.2 / WS-BaseNotification). */
export function addressingHeaders(action: string, to: string): string {
  return `<wsa:Action>${action}</wsa:Action><wsa:To>${escapeText(to)}</wsa:To>`;
}

function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

export type { SoapFault } from './soap-fault.js';

/** The Body's first child, or the fault it carries (SOAP 1.2 part 1 §5.4). */
export function readEnvelope(doc: XmlElement, where: string): { body: XmlElement; fault?: SoapFault } {
  if (doc.ns !== NS.soap || doc.local !== 'Envelope') {
    throw new OnvifError(
      'E_ONVIF_XML',
      `answer from ${where} is not a SOAP 1.2 envelope (<${deviceText(doc.local, 60)}> in ${deviceText(doc.ns, 100) || 'no namespace'})`,
    );
  }
  const body = child(doc, NS.soap, 'Body');
  if (!body) throw new OnvifError('E_ONVIF_XML', `answer from ${where} has no SOAP Body`);
  const faultEl = child(body, NS.soap, 'Fault');
  if (!faultEl) return { body };
  const subcodes: Array<{ ns: string; local: string }> = [];
  let codeEl = child(faultEl, NS.soap, 'Code');
  const codeValue = child(codeEl, NS.soap, 'Value');
  for (let sub = child(codeEl, NS.soap, 'Subcode'); sub; sub = child(sub, NS.soap, 'Subcode')) {
    const v = child(sub, NS.soap, 'Value');
    if (v) subcodes.push(resolveQName(v, v.text));
    codeEl = sub;
  }
  const reason = path(faultEl, [NS.soap, 'Reason'], [NS.soap, 'Text'])?.text ?? '';
  return { body, fault: { code: codeValue ? resolveQName(codeValue, codeValue.text).local : '', subcodes, reason } };
}

/** ONVIF Core §5.11.2.2: ter:NotAuthorized means the credentials (or the clock) are wrong. */
export function isNotAuthorized(fault: SoapFault): boolean {
  return fault.subcodes.some((s) => s.local === 'NotAuthorized' && (s.ns === NS.ter || s.ns === ''));
}

/** WS-ResourceFramework ResourceUnknownFault or ONVIF's InvalidArgVal on a gone subscription. */
export function isSubscriptionGone(fault: SoapFault, detailText = ''): boolean {
  return fault.subcodes.some((s) => s.local === 'ResourceUnknownFault' || s.local === 'ResourceUnknown') || /ResourceUnknown/.test(detailText);
}
