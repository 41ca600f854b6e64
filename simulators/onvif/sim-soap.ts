import { NS } from '../../drivers/onvif/soap/namespaces.js';
import { xmlEscape } from '../../drivers/onvif/xml/xml-escape.js';

/** Every answer declares the usual prefixes on the envelope, as most firmware does. */
const DECLS = `xmlns:s="${NS.soap}" xmlns:tt="${NS.tt}" xmlns:tds="${NS.tds}" xmlns:trt="${NS.trt}" xmlns:tr2="${NS.tr2}" xmlns:tev="${NS.tev}" xmlns:wsnt="${NS.wsnt}" xmlns:wsa="${NS.wsa}" xmlns:ter="${NS.ter}" xmlns:wsrf="${NS.wsrf}" xmlns:wstop="http://docs.oasis-open.org/wsn/t-1"`;

export function envelope(body: string, header = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?><s:Envelope ${DECLS}><s:Header>${header}</s:Header><s:Body>${body}</s:Body></s:Envelope>`;
}

/** A fault to answer with (SOAP 1.2 part 1 §5.4; ONVIF Core §5.11 for ter: subcodes). */
export class SimSoapFault extends Error {
  constructor(
    readonly code: 'Sender' | 'Receiver',
    /** A QName using a prefix the envelope declares (`ter:NotAuthorized`, `wsrf:ResourceUnknownFault`). */
    readonly subcodes: string[],
    reason: string,
  ) {
    super(reason);
  }
  /** SOAP 1.2 part 2 §7.5.1: Sender faults are HTTP 400, Receiver faults 500. */
  get status(): number {
    return this.code === 'Sender' ? 400 : 500;
  }
  toXml(): string {
    let sub = '';
    for (const s of [...this.subcodes].reverse()) sub = `<s:Subcode><s:Value>${s}</s:Value>${sub}</s:Subcode>`;
    return envelope(
      `<s:Fault><s:Code><s:Value>s:${this.code}</s:Value>${sub}</s:Code><s:Reason><s:Text xml:lang="en">${xmlEscape(this.message)}</s:Text></s:Reason></s:Fault>`,
    );
  }
}

export const notAuthorized = () => new SimSoapFault('Sender', ['ter:NotAuthorized'], 'Sender not Authorized');
export const actionNotSupported = (op: string) => new SimSoapFault('Receiver', ['ter:ActionNotSupported'], `${op} is not supported`);
export const invalidArg = (what: string) => new SimSoapFault('Sender', ['ter:InvalidArgVal'], what);
export const resourceUnknown = (what: string) => new SimSoapFault('Sender', ['wsrf:ResourceUnknownFault'], what);

/** xs:dateTime in UTC, whole seconds (what cameras send). */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
