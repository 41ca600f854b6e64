import { randomUUID } from 'node:crypto';
import { NS } from '../soap/namespaces.js';
import { parseXml } from '../xml/safe-xml.js';
import { child, type XmlElement } from '../xml/xml-element.js';
import { xmlEscape } from '../xml/xml-escape.js';

/** WS-Discovery (2005/04, the version ONVIF Core §7.3 uses) over SOAP-over-UDP. */
export const WSD_MULTICAST_ADDRESS = '239.255.255.250';
export const WSD_PORT = 3702;
const WSD_TO = 'urn:schemas-xmlsoap-org:ws:2005:04:discovery';
const ANONYMOUS = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous';
/** SOAP-over-UDP datagrams are small; a larger one is not a ProbeMatch (bytes). */
export const MAX_DATAGRAM_BYTES = 64 * 1024;

/** A Probe for ONVIF video transmitters (ONVIF Core §7.3.2: Types dn:NetworkVideoTransmitter). */
export function probeMessage(messageId = `urn:uuid:${randomUUID()}`): { id: string; xml: string } {
  const xml =
    `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="${NS.soap}" xmlns:a="${NS.wsaDiscovery}" xmlns:d="${NS.wsd}" xmlns:dn="${NS.dn}">` +
    `<s:Header><a:Action s:mustUnderstand="1">${NS.wsd}/Probe</a:Action><a:MessageID>${messageId}</a:MessageID>` +
    `<a:ReplyTo><a:Address>${ANONYMOUS}</a:Address></a:ReplyTo><a:To s:mustUnderstand="1">${WSD_TO}</a:To></s:Header>` +
    `<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>`;
  return { id: messageId, xml };
}

export interface ProbeMatch {
  endpoint: string;
  types: string[];
  scopes: string[];
  xaddrs: string[];
  metadataVersion: number;
}

/** A ProbeMatches answer to `relatesTo` (WS-Discovery §5.3). */
export function probeMatchesMessage(relatesTo: string, match: ProbeMatch): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="${NS.soap}" xmlns:a="${NS.wsaDiscovery}" xmlns:d="${NS.wsd}" xmlns:dn="${NS.dn}">` +
    `<s:Header><a:MessageID>urn:uuid:${randomUUID()}</a:MessageID><a:RelatesTo>${xmlEscape(relatesTo)}</a:RelatesTo><a:To>${ANONYMOUS}</a:To>` +
    `<a:Action>${NS.wsd}/ProbeMatches</a:Action></s:Header><s:Body><d:ProbeMatches><d:ProbeMatch>` +
    `<a:EndpointReference><a:Address>${xmlEscape(match.endpoint)}</a:Address></a:EndpointReference>` +
    `<d:Types>${match.types.map(xmlEscape).join(' ')}</d:Types><d:Scopes>${match.scopes.map(xmlEscape).join(' ')}</d:Scopes>` +
    `<d:XAddrs>${match.xaddrs.map(xmlEscape).join(' ')}</d:XAddrs><d:MetadataVersion>${match.metadataVersion}</d:MetadataVersion>` +
    `</d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>`
  );
}

/** The matches in a datagram, with the MessageID it answers; undefined if it is not a ProbeMatches. */
export function parseProbeMatches(datagram: Buffer, where: string): { relatesTo: string; matches: ProbeMatch[] } | undefined {
  const doc = parseXml(datagram, where, MAX_DATAGRAM_BYTES);
  const header = child(doc, NS.soap, 'Header');
  const body = child(doc, NS.soap, 'Body');
  const pm = child(body, NS.wsd, 'ProbeMatches');
  if (!pm) return undefined;
  const relatesTo = child(header, NS.wsaDiscovery, 'RelatesTo')?.text ?? '';
  const list = (el: XmlElement | undefined) => (el?.text ? el.text.split(/\s+/).filter(Boolean) : []);
  const matches = pm.children
    .filter((m) => m.ns === NS.wsd && m.local === 'ProbeMatch')
    .map((m) => ({
      endpoint: child(child(m, NS.wsaDiscovery, 'EndpointReference'), NS.wsaDiscovery, 'Address')?.text ?? '',
      types: list(child(m, NS.wsd, 'Types')),
      scopes: list(child(m, NS.wsd, 'Scopes')),
      xaddrs: list(child(m, NS.wsd, 'XAddrs')),
      metadataVersion: Number(child(m, NS.wsd, 'MetadataVersion')?.text ?? 0),
    }))
    .filter((m) => m.endpoint !== '');
  return { relatesTo, matches };
}

/** A Probe's MessageID and requested types, for the simulator's responder. */
export function parseProbe(datagram: Buffer, where: string): { messageId: string; types: string[] } | undefined {
  const doc = parseXml(datagram, where, MAX_DATAGRAM_BYTES);
  const probe = child(child(doc, NS.soap, 'Body'), NS.wsd, 'Probe');
  if (!probe) return undefined;
  const messageId = child(child(doc, NS.soap, 'Header'), NS.wsaDiscovery, 'MessageID')?.text ?? '';
  const typesEl = child(probe, NS.wsd, 'Types');
  const types = typesEl?.text
    ? typesEl.text.split(/\s+/).map((q) => {
        const i = q.indexOf(':');
        return `{${typesEl.scope.get(i < 0 ? '' : q.slice(0, i)) ?? ''}}${i < 0 ? q : q.slice(i + 1)}`;
      })
    : [];
  return { messageId, types };
}
