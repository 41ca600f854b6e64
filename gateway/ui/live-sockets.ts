import type { WebSocket } from '@fastify/websocket';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { originMatches } from '../http/access.js';
import { SESSION_COOKIE, type Session, type SessionEnd, type SessionStore } from './sessions.js';
import type { UserStore } from './users.js';

/** Close codes the page understands (4000-4999 are the application's, RFC 6455 7.4.2). */
export const CLOSE_LOGIN = 4401;
export const CLOSE_LIMIT = 4429;

/**
 * Why a session may no longer be used, though the store still holds it: the user was removed,
 * the password was reset from the shell, or the role changed since this login.
 */
export function sessionProblem(users: UserStore, session: Session): string | undefined {
  const user = users.get(session.user);
  if (!user) return 'the user was removed';
  if (Date.parse(user.passwordChangedAt) > session.createdAt) return 'the password was changed';
  if (user.role !== session.role) return 'the role was changed';
  return undefined;
}

/**
 * Every open websocket (live events, live view) filed under its session (issue 12, finding 2: a
 * socket used to outlive logout and even the user's removal). A session that ends (logout, user
 * removed, password or role changed, expiry) closes its sockets at once; a periodic check
 * (`checkMs`, at most a minute) also catches what changed behind the daemon's back (users.json
 * edited by `gridgate passwd`, the idle or absolute timeout passing while a socket stays open).
 */
export class LiveSockets {
  private readonly byKey = new Map<string, Set<WebSocket>>();
  private timer: NodeJS.Timeout | undefined;
  private off: (() => void) | undefined;

  constructor(private readonly o: { sessions: SessionStore; users: UserStore; log: Logger; checkMs?: number; maxPerSession?: number }) {}

  start(): void {
    this.off ??= this.o.sessions.onEnd((key, _s, why) => this.closeKey(key, why));
    this.timer ??= setInterval(() => this.check(), Math.min(60_000, this.o.checkMs ?? 30_000));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.off?.();
    this.off = undefined;
  }

  /**
   * Admits a websocket: a live, still valid session and the served Origin (browsers apply no
   * CORS to websockets). Otherwise the socket is closed and undefined returned.
   */
  admit(socket: WebSocket, req: FastifyRequest): Session | undefined {
    const found = this.o.sessions.lookup(req.cookies[SESSION_COOKIE]);
    if (!found || !originMatches(req)) {
      socket.close(CLOSE_LOGIN, 'log in first');
      return undefined;
    }
    const problem = sessionProblem(this.o.users, found.session);
    if (problem) {
      this.o.sessions.destroyKey(found.key, 'user changed');
      socket.close(CLOSE_LOGIN, `session ended: ${problem}`);
      return undefined;
    }
    let set = this.byKey.get(found.key);
    if (!set) {
      set = new Set();
      this.byKey.set(found.key, set);
    }
    // A page holds one events feed and one live view; a session opening dozens is a script.
    if (set.size >= (this.o.maxPerSession ?? 16)) {
      socket.close(CLOSE_LIMIT, 'too many open sockets for this login: close other tabs');
      return undefined;
    }
    set.add(socket);
    socket.once('close', () => {
      const s = this.byKey.get(found.key);
      s?.delete(socket);
      if (s?.size === 0) this.byKey.delete(found.key);
    });
    return found.session;
  }

  /** Open sockets now (all sessions). */
  count(): number {
    let n = 0;
    for (const s of this.byKey.values()) n += s.size;
    return n;
  }

  /** Runs the periodic check now (the timer calls it). */
  check(): void {
    for (const key of [...this.byKey.keys()]) {
      const s = this.o.sessions.peek(key);
      if (!s) {
        this.closeKey(key, 'expired');
        continue;
      }
      const problem = sessionProblem(this.o.users, s);
      if (problem) this.o.sessions.destroyKey(key, 'user changed');
    }
  }

  private closeKey(key: string, why: SessionEnd): void {
    const set = this.byKey.get(key);
    if (!set) return;
    this.byKey.delete(key);
    const reason = why === 'logout' ? 'logged out' : why === 'expired' ? 'session ended: log in again' : 'session ended: the user was changed';
    for (const socket of set) {
      socket.close(CLOSE_LOGIN, reason);
      // A peer that does not answer the close handshake is cut off (RFC 6455 7.1.1 lets the server close the TCP connection).
      setTimeout(() => socket.terminate(), 2000).unref();
    }
    this.o.log.info({ sockets: set.size, why }, 'session ended: its sockets closed');
  }
}
