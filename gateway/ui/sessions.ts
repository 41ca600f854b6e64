import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from './users.js';

/** The cookie that carries a UI session's id (httpOnly, SameSite=Strict). */
export const SESSION_COOKIE = 'gridgate_session';

export interface Session {
  user: string;
  role: Role;
  /** Wall ms (stamps: compared with a password change's stamp). */
  createdAt: number;
  lastSeenAt: number;
  /** Monotonic ms: the idle and absolute timeouts are durations (a wall-clock step must not end or extend them). */
  createdMono: number;
  lastSeenMono: number;
  /** Sent by the page in `x-csrf-token` on every change (synchronizer token). */
  csrf: string;
  address: string;
  /** Wrong passwords for this user since the previous login, shown once the user is in. */
  failedSinceLastLogin?: { count: number; lastAddress: string; lastAt: string };
}

/** Why a session ended: its sockets are closed with this reason. */
export type SessionEnd = 'logout' | 'user changed' | 'expired';

export interface SessionTimeouts {
  /** A session unused this long ends (ms). */
  idleMs: number;
  /** A session ends this long after login whatever happens (ms). */
  absoluteMs: number;
}

export const DEFAULT_TIMEOUTS: SessionTimeouts = { idleMs: 30 * 60_000, absoluteMs: 12 * 3_600_000 };

/**
 * Server-side sessions. The cookie holds a random 256-bit id; the server keeps only its SHA-256,
 * so a memory dump of the table does not yield usable cookies.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly ended = new Set<(key: string, session: Session, why: SessionEnd) => void>();

  private readonly now: () => number;
  private readonly mono: () => number;

  /** `clock`: wall ms for stamps; `monotonic`: for the timeouts (default performance.now, or a test's single `clock`). */
  constructor(
    private readonly timeouts: SessionTimeouts = DEFAULT_TIMEOUTS,
    clock?: () => number,
    monotonic?: () => number,
  ) {
    this.now = clock ?? Date.now;
    this.mono = monotonic ?? clock ?? (() => performance.now());
  }

  create(user: string, role: Role, address: string): { id: string; session: Session } {
    const id = randomBytes(32).toString('base64url');
    const t = this.now();
    const m = this.mono();
    const session: Session = { user, role, createdAt: t, lastSeenAt: t, createdMono: m, lastSeenMono: m, csrf: randomBytes(24).toString('base64url'), address };
    this.sessions.set(digest(id), session);
    this.sweep();
    return { id, session };
  }

  /** The live session for a cookie value, touched; undefined when unknown or expired. */
  get(id: string | undefined): Session | undefined {
    return this.lookup(id)?.session;
  }

  /** Like get, with the session's key (the digest of its id: what sockets are filed under). */
  lookup(id: string | undefined): { key: string; session: Session } | undefined {
    if (!id) return undefined;
    const key = digest(id);
    const s = this.peek(key);
    if (!s) return undefined;
    s.lastSeenAt = this.now();
    s.lastSeenMono = this.mono();
    return { key, session: s };
  }

  /** The session under a key if still live, not touched (an open socket is not activity). */
  peek(key: string): Session | undefined {
    const s = this.sessions.get(key);
    if (!s) return undefined;
    const t = this.mono();
    if (t - s.lastSeenMono > this.timeouts.idleMs || t - s.createdMono > this.timeouts.absoluteMs) {
      this.end(key, s, 'expired');
      return undefined;
    }
    return s;
  }

  destroy(id: string | undefined): void {
    if (id) this.destroyKey(digest(id), 'logout');
  }

  destroyKey(key: string, why: SessionEnd): void {
    const s = this.sessions.get(key);
    if (s) this.end(key, s, why);
  }

  /** Ends every session of a user (password or role changed, user removed). */
  destroyUser(user: string): void {
    for (const [k, s] of this.sessions) if (s.user === user) this.end(k, s, 'user changed');
  }

  /** Called whenever a session ends (logout, user changed, expiry): its sockets close at once. */
  onEnd(listener: (key: string, session: Session, why: SessionEnd) => void): () => void {
    this.ended.add(listener);
    return () => this.ended.delete(listener);
  }

  count(): number {
    return this.sessions.size;
  }

  private sweep(): void {
    const t = this.mono();
    for (const [k, s] of this.sessions)
      if (t - s.lastSeenMono > this.timeouts.idleMs || t - s.createdMono > this.timeouts.absoluteMs) this.end(k, s, 'expired');
  }

  private end(key: string, s: Session, why: SessionEnd): void {
    this.sessions.delete(key);
    for (const l of this.ended) {
      try {
        l(key, s, why);
      } catch {
        // A listener (socket close) that throws must not keep the session alive.
      }
    }
  }
}

export function csrfMatches(session: Session, sent: unknown): boolean {
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(sent);
  return a.length === b.length && timingSafeEqual(a, b);
}

function digest(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}
