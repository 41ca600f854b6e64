import { createHash, randomBytes } from 'node:crypto';

/** A parsed `WWW-Authenticate: Digest ...` challenge (RFC 7616 §3.3). */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  qop?: string;
  opaque?: string;
  algorithm: 'MD5' | 'SHA-256';
  stale: boolean;
}

/** Parses auth-params `k="v", k=v` (RFC 7235 §2.1); values may contain commas inside quotes. */
export function parseAuthParams(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (let m = re.exec(header); m; m = re.exec(header)) out[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
  return out;
}

/** The Digest challenge in a WWW-Authenticate header, if there is one. */
export function parseDigestChallenge(header: string | string[] | undefined): DigestChallenge | undefined {
  const all = Array.isArray(header) ? header : header ? [header] : [];
  const digest = all.find((h) => /^\s*digest\s/i.test(h));
  if (!digest) return undefined;
  const p = parseAuthParams(digest.replace(/^\s*digest\s+/i, ''));
  if (!p.realm || !p.nonce) return undefined;
  const algorithm = (p.algorithm ?? 'MD5').toUpperCase() === 'SHA-256' ? 'SHA-256' : 'MD5';
  const qop = p.qop
    ?.split(',')
    .map((q) => q.trim())
    .includes('auth')
    ? 'auth'
    : undefined;
  return { realm: p.realm, nonce: p.nonce, qop, opaque: p.opaque, algorithm, stale: (p.stale ?? '').toLowerCase() === 'true' };
}

export function digestHash(algorithm: string, data: string): string {
  return createHash(algorithm.toUpperCase() === 'SHA-256' ? 'sha256' : 'md5')
    .update(data, 'utf8')
    .digest('hex');
}

/** RFC 7616 §3.4.1 response = H(H(A1):nonce:nc:cnonce:qop:H(A2)), or RFC 2069 form without qop. */
export function digestResponse(p: {
  algorithm: string;
  username: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  nc?: string;
  cnonce?: string;
  qop?: string;
}): string {
  const ha1 = digestHash(p.algorithm, `${p.username}:${p.realm}:${p.password}`);
  const ha2 = digestHash(p.algorithm, `${p.method}:${p.uri}`);
  return p.qop ? digestHash(p.algorithm, `${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`) : digestHash(p.algorithm, `${ha1}:${p.nonce}:${ha2}`);
}

/**
 * Client side of HTTP Digest for one camera: remembers the last challenge so later requests
 * authenticate on the first try (nonce count increases, RFC 7616 §3.4).
 */
export class DigestSession {
  private challenge: DigestChallenge | undefined;
  private nc = 0;

  constructor(
    private readonly username: string,
    private readonly password: string,
  ) {}

  get hasChallenge(): boolean {
    return this.challenge !== undefined;
  }

  accept(challenge: DigestChallenge): void {
    this.challenge = challenge;
    this.nc = 0;
  }

  forget(): void {
    this.challenge = undefined;
  }

  /** The Authorization header for a request, or undefined before any challenge. */
  authorization(method: string, uri: string): string | undefined {
    const c = this.challenge;
    if (!c) return undefined;
    this.nc += 1;
    const nc = this.nc.toString(16).padStart(8, '0');
    const cnonce = randomBytes(8).toString('hex');
    const response = digestResponse({
      algorithm: c.algorithm,
      username: this.username,
      realm: c.realm,
      password: this.password,
      method,
      uri,
      nonce: c.nonce,
      nc,
      cnonce,
      qop: c.qop,
    });
    const parts = [
      `username="${quote(this.username)}"`,
      `realm="${quote(c.realm)}"`,
      `nonce="${quote(c.nonce)}"`,
      `uri="${quote(uri)}"`,
      `algorithm=${c.algorithm}`,
      `response="${response}"`,
    ];
    if (c.qop) parts.push(`qop=${c.qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
    if (c.opaque !== undefined) parts.push(`opaque="${quote(c.opaque)}"`);
    return `Digest ${parts.join(', ')}`;
  }
}

function quote(s: string): string {
  return s.replace(/(["\\])/g, '\\$1');
}
