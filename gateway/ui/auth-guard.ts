import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../core/errors.js';
import { originMatches } from '../http/access.js';
import { sessionProblem } from './live-sockets.js';
import { csrfMatches } from './sessions.js';
import { SESSION_COOKIE } from './sessions.js';
import { refuse, type UiContext } from './ui-context.js';
import { type Role, roleAllows } from './users.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A preHandler that admits a request only with a live session of at least `role`, and, for
 * anything that changes state, a matching CSRF token and a same-origin Origin header. Every
 * refusal of a change is audited.
 */
export function guard(ctx: UiContext, role: Role, action?: string) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const found = ctx.sessions.lookup(req.cookies[SESSION_COOKIE]);
    const session = found?.session;
    const change = !SAFE.has(req.method);
    const what = action ?? `${req.method} ${req.routeOptions.url ?? req.url}`;
    const deny = (status: number, code: ErrorCode, message: string) => {
      if (change || status === 403) ctx.audit.append({ who: session?.user ?? '(anonymous)', address: req.ip, action: what, outcome: 'refused', reason: code });
      return refuse(reply, status, code, message);
    };
    if (!found || !session) return deny(401, 'E_UI_LOGIN_REQUIRED', 'log in first (or the session ended: idle or too old)');
    // The user was removed, or the password or role changed (also from the shell) since this login:
    // the session ends, and with it its sockets.
    const problem = sessionProblem(ctx.users, session);
    if (problem) {
      ctx.sessions.destroyKey(found.key, 'user changed');
      return deny(401, 'E_UI_LOGIN_REQUIRED', `the session ended (${problem}): log in again`);
    }
    req.session = session;
    if (change) {
      if (!sameOrigin(req)) return deny(403, 'E_UI_CSRF', 'the request did not come from this page (Origin)');
      if (!csrfMatches(session, req.headers['x-csrf-token'])) return deny(403, 'E_UI_CSRF', 'missing or wrong CSRF token: reload the page');
    }
    if (!roleAllows(session.role, role)) return deny(403, 'E_UI_FORBIDDEN', `this needs the ${role} role; you are ${session.role}`);
  };
}

/**
 * Origin (when the browser sends one) must be the origin this page was served on: scheme, host
 * and port. The Host itself was checked against the box's names first (gateway/http/access.ts),
 * so a rebound name (evil.example pointing at the box) cannot make its own origin "same".
 */
export function sameOrigin(req: FastifyRequest): boolean {
  return originMatches(req);
}
