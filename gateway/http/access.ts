import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Whether an address (as bound or as a peer) is the loopback interface. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.replace(/^\[|\]$/g, '').toLowerCase();
  return a === 'localhost' || a === '::1' || /^127\./.test(a) || /^::ffff:127\./.test(a);
}

/** A bind address that listens on every interface. */
export function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/**
 * HTTPS unless configured off: on by default as soon as the UI listens beyond loopback, so
 * passwords and cookies never cross the site LAN in clear (issue 12, finding 5).
 */
export function httpsWanted(http: { host: string; tls?: false | { selfSigned: true } }): boolean {
  if (http.tls === false) return false;
  return http.tls !== undefined || !isLoopback(http.host);
}

/**
 * The names this box answers to, for the Host check (DNS rebinding: a page of evil.example whose
 * name resolves to the box would otherwise be "same origin" with the UI). Loopback names, the
 * bind address, the box's host name (and `.local`), every interface address when bound to all of
 * them, and what the configuration adds (`http.allowedHosts`).
 */
export class HostAllowList {
  private cache: { at: number; names: Set<string> } | undefined;

  constructor(
    private readonly o: { bind: string; extra: readonly string[] },
    private readonly now: () => number = () => performance.now(),
  ) {}

  allows(hostHeader: string | undefined): boolean {
    const name = hostOf(hostHeader);
    return name !== undefined && this.names().has(name);
  }

  names(): Set<string> {
    // Interface addresses change with DHCP: re-read every 30 s (monotonic clock).
    if (this.cache && this.now() - this.cache.at < 30_000) return this.cache.names;
    const names = new Set<string>(['localhost', '127.0.0.1', '::1', hostname().toLowerCase(), `${hostname().toLowerCase()}.local`]);
    for (const h of this.o.extra) names.add(h.toLowerCase().replace(/^\[|\]$/g, ''));
    if (isWildcard(this.o.bind)) {
      for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) names.add(i.address.toLowerCase().replace(/%.*$/, ''));
    } else names.add(this.o.bind.toLowerCase().replace(/^\[|\]$/g, ''));
    this.cache = { at: this.now(), names };
    return names;
  }
}

/** The host name of a Host header without port or IPv6 brackets; undefined when malformed. */
export function hostOf(hostHeader: string | undefined): string | undefined {
  if (!hostHeader || hostHeader.length > 255) return undefined;
  try {
    const u = new URL(`http://${hostHeader}`);
    if (u.username || u.password || u.pathname !== '/' || u.search || u.hash) return undefined;
    const h = u.hostname.toLowerCase().replace(/^\[|\]$/g, '');
    return h && (isIP(h) || /^[a-z0-9.-]+$/.test(h)) ? h : undefined;
  } catch {
    return undefined;
  }
}

/** The origin this request was served on (scheme, host and port as the browser sees them). */
export function servedOrigin(req: FastifyRequest): string | undefined {
  try {
    return new URL(`${req.protocol}://${req.headers.host}`).origin;
  } catch {
    return undefined;
  }
}

/** Origin, when the client sends one (browsers do on every change and on websockets), must be the served origin. */
export function originMatches(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).origin === servedOrigin(req);
  } catch {
    return false;
  }
}

/** `Authorization: Bearer <token>` compared in constant time. */
export function bearerMatches(req: FastifyRequest, token: string | undefined): boolean {
  if (!token) return false;
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]!);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The peer is this box itself. */
export function fromLoopback(req: FastifyRequest): boolean {
  return isLoopback(req.socket.remoteAddress);
}

/** A refusal in the same shape as the UI's. */
export function deny(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).send({ error: { code, message } });
}

/** Names for the self-signed certificate: the box's host name, localhost, the bind or interface addresses, the configured extras. */
export function certificateNames(bind: string, extra: readonly string[]): { hosts: string[]; ips: string[] } {
  const all = new HostAllowList({ bind, extra }).names();
  const hosts = [hostname(), 'localhost', ...[...all].filter((n) => !isIP(n) && n !== 'localhost' && n !== hostname().toLowerCase())];
  const ips = [...all].filter((n) => isIP(n) && !/^fe80:/i.test(n));
  return { hosts: [...new Set(hosts)], ips };
}
