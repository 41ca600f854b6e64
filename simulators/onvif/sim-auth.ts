import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { digestResponse, parseAuthParams } from '../../drivers/onvif/soap/http-digest.js';
import { NS, PASSWORD_DIGEST_TYPE } from '../../drivers/onvif/soap/namespaces.js';
import { passwordDigest } from '../../drivers/onvif/soap/ws-username-token.js';
import { attr, child, type XmlElement } from '../../drivers/onvif/xml/xml-element.js';

export interface SimCredentials {
  username: string;
  password: string;
}

export type TokenCheck = 'ok' | 'absent' | 'bad';

/**
 * Checks a WS-UsernameToken PasswordDigest (UsernameToken Profile 1.0 §3.1) against the
 * simulated device clock: Created must lie within ±windowMs of the device's time, and a nonce
 * is accepted once (§3.1 replay). The nonce memory is a bounded ring, so it never grows.
 */
export class UsernameTokenVerifier {
  private readonly seen = new Set<string>();
  private readonly order: string[] = [];

  constructor(
    private readonly creds: SimCredentials,
    private readonly deviceNow: () => number,
    private readonly windowMs: () => number,
  ) {}

  check(header: XmlElement | undefined): TokenCheck {
    const token = child(child(header, NS.wsse, 'Security'), NS.wsse, 'UsernameToken');
    if (!token) return 'absent';
    const username = child(token, NS.wsse, 'Username')?.text;
    const pw = child(token, NS.wsse, 'Password');
    const nonce = child(token, NS.wsse, 'Nonce')?.text ?? '';
    const created = child(token, NS.wsu, 'Created')?.text ?? child(token, NS.wsse, 'Created')?.text ?? '';
    if (username !== this.creds.username || !pw || attr(pw, 'Type') !== PASSWORD_DIGEST_TYPE) return 'bad';
    const createdMs = Date.parse(created);
    if (Number.isNaN(createdMs) || Math.abs(createdMs - this.deviceNow()) > this.windowMs()) return 'bad';
    const expected = passwordDigest(Buffer.from(nonce, 'base64'), created, this.creds.password);
    if (!safeEqual(expected, pw.text)) return 'bad';
    if (this.seen.has(nonce)) return 'bad';
    this.seen.add(nonce);
    this.order.push(nonce);
    if (this.order.length > 4096) this.seen.delete(this.order.shift()!);
    return 'ok';
  }
}

/**
 * HTTP Digest (RFC 7616) server side with stateless nonces: nonce = time + HMAC(time), so
 * 89 cameras under hours of reconnect churn keep no per-nonce memory. A nonce older than
 * `nonceTtlMs` gets `stale=true` and the client retries with the new one.
 */
export class DigestVerifier {
  private readonly key = randomBytes(16);
  readonly realm: string;

  constructor(
    private readonly creds: SimCredentials,
    realm: string,
    private readonly nonceTtlMs = 300_000,
  ) {
    this.realm = realm;
  }

  challenge(stale = false): string {
    const t = Date.now().toString(16);
    const nonce = `${t}${createHmac('sha256', this.key).update(t).digest('hex').slice(0, 24)}`;
    return `Digest realm="${this.realm}", qop="auth", nonce="${nonce}", algorithm=MD5${stale ? ', stale=true' : ''}`;
  }

  /** 'ok', 'absent' (no Digest header), 'stale' (nonce expired) or 'bad'. */
  check(req: IncomingMessage): 'ok' | 'absent' | 'stale' | 'bad' {
    const h = req.headers.authorization;
    if (!h || !/^digest\s/i.test(h)) return 'absent';
    const p = parseAuthParams(h.replace(/^digest\s+/i, ''));
    if (p.username !== this.creds.username || p.realm !== this.realm || !p.nonce || !p.response || !p.uri) return 'bad';
    const t = p.nonce.slice(0, -24);
    const mac = createHmac('sha256', this.key).update(t).digest('hex').slice(0, 24);
    if (!safeEqual(mac, p.nonce.slice(-24))) return 'bad';
    const expected = digestResponse({
      algorithm: p.algorithm ?? 'MD5',
      username: p.username,
      realm: this.realm,
      password: this.creds.password,
      method: req.method ?? 'GET',
      uri: p.uri,
      nonce: p.nonce,
      nc: p.nc,
      cnonce: p.cnonce,
      qop: p.qop,
    });
    if (!safeEqual(expected, p.response)) return 'bad';
    if (Date.now() - Number.parseInt(t, 16) > this.nonceTtlMs) return 'stale';
    return 'ok';
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
