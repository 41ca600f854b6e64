import type http from 'node:http';
import type { ClockOffset } from '../device/clock-offset.js';
import { addressingHeaders, isNotAuthorized, readEnvelope, soapEnvelope } from '../soap/envelope.js';
import { DigestSession } from '../soap/http-digest.js';
import { usernameTokenHeader } from '../soap/ws-username-token.js';
import { parseXml } from '../xml/safe-xml.js';
import type { XmlElement } from '../xml/xml-element.js';
import { deviceText } from './device-text.js';
import { sendWithDigest } from './digest-retry.js';
import { httpRequest } from './http-request.js';
import { OnvifError } from './onvif-error.js';

/**
 * How a camera wants SOAP calls authenticated. ONVIF Core §5.12 allows WS-UsernameToken and
 * HTTP Digest; `auto` sends the token and answers a Digest challenge when one comes.
 */
export type SoapAuthMode = 'auto' | 'ws-security' | 'http-digest' | 'both';

export interface SoapClientOptions {
  where: string;
  username: string;
  password: string;
  auth: SoapAuthMode;
  timeoutMs: number;
  maxBytes: number;
  clock: ClockOffset;
  agent: http.Agent;
}

export interface SoapCallOptions {
  /** Leave out credentials (PRE_AUTH calls such as GetSystemDateAndTime, ONVIF Core §5.9.4.3). */
  anonymous?: boolean;
  /** SOAP action URI, sent in the Content-Type (SOAP 1.2 part 2 §7.1.4) and, with `to`, as WS-Addressing. */
  action?: string;
  /** WS-Addressing To, for calls on a subscription endpoint. */
  to?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The SOAP transport for one camera. Holds its digest state; all limits come from options. */
export class SoapClient {
  private readonly digest: DigestSession;

  constructor(private readonly o: SoapClientOptions) {
    this.digest = new DigestSession(o.username, o.password);
  }

  /** Sends `body` to `url`; resolves the SOAP Body element, rejects with an OnvifError. */
  async call(url: URL, body: string, opts: SoapCallOptions = {}): Promise<XmlElement> {
    const useToken = !opts.anonymous && this.o.auth !== 'http-digest' && this.o.username !== '';
    // Digest even on PRE_AUTH calls: some firmware challenges GetSystemDateAndTime too.
    const useDigest = this.o.auth !== 'ws-security' && this.o.username !== '';
    const headers =
      (useToken ? usernameTokenHeader(this.o.username, this.o.password, this.o.clock.deviceNow()) : '') +
      (opts.action && opts.to ? addressingHeaders(opts.action, opts.to) : '');
    const xml = soapEnvelope(body, headers);
    const send = (authorization: string | undefined) => {
      const h: Record<string, string> = { 'content-type': `application/soap+xml; charset=utf-8${opts.action ? `; action="${opts.action}"` : ''}` };
      if (authorization) h.authorization = authorization;
      return httpRequest({
        method: 'POST',
        url,
        headers: h,
        body: xml,
        timeoutMs: opts.timeoutMs ?? this.o.timeoutMs,
        maxBytes: this.o.maxBytes,
        agent: this.o.agent,
        signal: opts.signal,
        where: this.o.where,
      });
    };
    // A final 401 (after at most one Digest retry) rejects E_ONVIF_AUTH there.
    const answer = await sendWithDigest({
      session: useDigest ? this.digest : undefined,
      method: 'POST',
      uri: url.pathname + url.search,
      send,
      where: this.o.where,
    });
    const contentType = String(answer.headers['content-type'] ?? '');
    if (answer.status !== 200 && !/xml/i.test(contentType)) {
      throw new OnvifError('E_ONVIF_HTTP', `${this.o.where} answered HTTP ${answer.status}`, { where: this.o.where });
    }
    const { body: bodyEl, fault } = readEnvelope(parseXml(answer.body, this.o.where, this.o.maxBytes), this.o.where);
    if (fault) {
      // The reason and codes are the device's words: escaped before they reach a message or log.
      if (isNotAuthorized(fault))
        throw new OnvifError('E_ONVIF_AUTH', `${this.o.where} answered NotAuthorized: ${deviceText(fault.reason) || 'no reason given'}`, {
          fault,
          where: this.o.where,
        });
      throw new OnvifError(
        'E_ONVIF_FAULT',
        `${this.o.where} answered a SOAP fault: ${deviceText(fault.reason || fault.subcodes.map((s) => s.local).join('/') || fault.code)}`,
        { fault, where: this.o.where },
      );
    }
    if (answer.status !== 200) throw new OnvifError('E_ONVIF_HTTP', `${this.o.where} answered HTTP ${answer.status} without a fault`, { where: this.o.where });
    return bodyEl;
  }
}
