import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { guard, sameOrigin } from './auth-guard.js';
import { DUMMY_HASH, passwordProblem, verifyPassword } from './password-hash.js';
import type { FailedLoginSummary } from './failed-logins.js';
import { sessionProblem } from './live-sockets.js';
import { SESSION_COOKIE } from './sessions.js';
import { refuse, type UiContext, who } from './ui-context.js';
import { ROLES, type Role, USER_NAME } from './users.js';

/** First-run setup with the one-time code, login, logout, users and the audit log. */
export async function authRoutes(app: FastifyInstance, ctx: UiContext): Promise<void> {
  const startSession = (req: FastifyRequest, reply: FastifyReply, user: string, role: Role, failed?: FailedLoginSummary) => {
    const { id, session } = ctx.sessions.create(user, role, req.ip);
    if (failed) session.failedSinceLastLogin = failed;
    reply.setCookie(SESSION_COOKIE, id, { path: '/', httpOnly: true, sameSite: 'strict', secure: req.protocol === 'https' });
    return { user, role, csrf: session.csrf, ...(failed ? { failedSinceLastLogin: failed } : {}) };
  };
  // The raw request rate of the password routes per address (@fastify/rate-limit), under the
  // failure-based throttle: it bounds scrypt work and audit writes an address can cause.
  const rateLimit = { rateLimit: { max: ctx.loginRate.max, timeWindow: ctx.loginRate.windowMs } };

  app.get('/api/ui/session', async (req) => {
    const session = ctx.sessions.get(req.cookies[SESSION_COOKIE]);
    const user = session && !sessionProblem(ctx.users, session) ? ctx.users.get(session.user) : undefined;
    if (!session || !user) return { setupNeeded: ctx.users.count() === 0 };
    return {
      setupNeeded: false,
      user: user.name,
      role: user.role,
      csrf: session.csrf,
      site: ctx.gateway().config.site,
      gateway: ctx.gateway().config.gateway,
      failedSinceLastLogin: session.failedSinceLastLogin,
    };
  });

  app.post<{ Body: { code?: unknown; user?: unknown; password?: unknown } }>('/api/ui/setup', { config: rateLimit }, async (req, reply) => {
    const wait = ctx.throttle.waitMs('setup', req.ip);
    if (wait > 0) return tooMany(reply, wait);
    if (!sameOrigin(req)) return refuse(reply, 403, 'E_UI_CSRF', 'the request did not come from this page (Origin)');
    const code = ctx.setupCode();
    if (ctx.users.count() > 0 || !code) return refuse(reply, 409, 'E_UI_SETUP_DONE', 'setup is done: log in, or reset a password with `gridgate passwd USER`');
    const body = req.body ?? {};
    const sent = typeof body.code === 'string' ? body.code.toUpperCase().replace(/[^A-Z0-9]/g, '') : '';
    if (!(sent.length === code.length && timingSafeEqual(Buffer.from(sent), Buffer.from(code)))) {
      ctx.throttle.fail('setup', req.ip);
      ctx.audit.append({ who: '(anonymous)', address: req.ip, action: 'setup', outcome: 'refused', reason: 'wrong setup code' });
      return refuse(reply, 403, 'E_UI_SETUP_CODE', 'wrong setup code: it is printed in the gateway log (journalctl -u gridgate) when it is made');
    }
    const name = body.user;
    if (typeof name !== 'string' || !USER_NAME.test(name))
      return refuse(reply, 400, 'E_UI_INVALID', 'user: 2..32 lower-case letters, digits, . _ - starting with a letter', { field: 'user' });
    const problem = passwordProblem(body.password);
    if (problem) return refuse(reply, 400, 'E_UI_INVALID', `password: ${problem}`, { field: 'password' });
    await ctx.users.setPassword(name, body.password as string, 'admin');
    ctx.clearSetupCode();
    ctx.throttle.succeed('setup', req.ip);
    ctx.audit.append({ who: name, address: req.ip, action: 'setup', target: `user ${name}`, outcome: 'ok', reason: 'first admin created with the setup code' });
    return startSession(req, reply, name, 'admin');
  });

  app.post<{ Body: { user?: unknown; password?: unknown } }>('/api/ui/login', { config: rateLimit }, async (req, reply) => {
    if (!sameOrigin(req)) return refuse(reply, 403, 'E_UI_CSRF', 'the request did not come from this page (Origin)');
    const name = typeof req.body?.user === 'string' ? req.body.user.slice(0, 64) : '';
    const password = typeof req.body?.password === 'string' ? req.body.password.slice(0, 256) : '';
    const subject = `user:${name}`;
    const wait = ctx.throttle.waitMs(subject, req.ip);
    if (wait > 0) {
      ctx.audit.append({ who: name || '(anonymous)', address: req.ip, action: 'login', outcome: 'refused', reason: 'throttled' });
      return tooMany(reply, wait);
    }
    const user = ctx.users.get(name);
    // Verify even for an unknown user so the answer time does not reveal which names exist.
    const ok = await verifyPassword(password, user?.hash ?? DUMMY_HASH);
    if (!user || !ok) {
      ctx.throttle.fail(subject, req.ip);
      // Written after the answer is sent: the fsync must not make "known user" answer slower than "unknown".
      if (user) setImmediate(() => ctx.failedLogins.record(user.name, req.ip));
      ctx.audit.append({ who: name || '(anonymous)', address: req.ip, action: 'login', outcome: 'refused', reason: 'wrong user or password' });
      return refuse(reply, 401, 'E_UI_LOGIN_FAILED', 'wrong user name or password');
    }
    ctx.throttle.succeed(subject, req.ip);
    // The user learns of wrong passwords tried since the last login (issue 12, finding 1), and so does the audit log.
    const failed = ctx.failedLogins.take(user.name);
    ctx.audit.append({
      who: name,
      address: req.ip,
      action: 'login',
      outcome: 'ok',
      ...(failed ? { reason: `${failed.count} failed attempt(s) since the last login, the last from ${failed.lastAddress} at ${failed.lastAt}` } : {}),
    });
    return startSession(req, reply, user.name, user.role, failed);
  });

  app.post('/api/ui/logout', { preHandler: guard(ctx, 'viewer') }, async (req, reply) => {
    ctx.sessions.destroy(req.cookies[SESSION_COOKIE]);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    ctx.audit.append({ who: who(req), address: req.ip, action: 'logout', outcome: 'ok' });
    return { ok: true };
  });

  app.get('/api/ui/users', { preHandler: guard(ctx, 'admin') }, async () => ({ users: ctx.users.list(), roles: ROLES }));

  app.post<{ Body: { name?: unknown; role?: unknown; password?: unknown } }>('/api/ui/users', { preHandler: guard(ctx, 'admin') }, async (req, reply) => {
    const { name, role, password } = req.body ?? {};
    if (typeof name !== 'string' || !USER_NAME.test(name))
      return refuse(reply, 400, 'E_UI_INVALID', 'name: 2..32 lower-case letters, digits, . _ - starting with a letter', { field: 'name' });
    if (!ROLES.includes(role as Role)) return refuse(reply, 400, 'E_UI_INVALID', `role: one of ${ROLES.join(', ')}`, { field: 'role' });
    const problem = passwordProblem(password);
    if (problem) return refuse(reply, 400, 'E_UI_INVALID', `password: ${problem}`, { field: 'password' });
    const existed = Boolean(ctx.users.get(name));
    await ctx.users.setPassword(name, password as string, role as Role);
    ctx.sessions.destroyUser(name);
    ctx.audit.append({
      who: who(req),
      address: req.ip,
      action: existed ? 'user.update' : 'user.create',
      target: `user ${name}`,
      outcome: 'ok',
      diff: { role },
    });
    return { ok: true };
  });

  app.delete<{ Params: { name: string } }>('/api/ui/users/:name', { preHandler: guard(ctx, 'admin') }, async (req, reply) => {
    if (req.params.name === req.session?.user) return refuse(reply, 400, 'E_UI_INVALID', 'you cannot remove yourself');
    if (!ctx.users.remove(req.params.name)) return refuse(reply, 404, 'E_UI_NOT_FOUND', `no user ${req.params.name}`);
    ctx.sessions.destroyUser(req.params.name);
    ctx.failedLogins.forget(req.params.name);
    ctx.audit.append({ who: who(req), address: req.ip, action: 'user.remove', target: `user ${req.params.name}`, outcome: 'ok' });
    return { ok: true };
  });

  app.get<{ Querystring: { limit?: string } }>('/api/ui/audit', { preHandler: guard(ctx, 'admin') }, async (req) => ({
    entries: ctx.audit.recent(Math.min(1000, Number(req.query.limit ?? 200) || 200)),
  }));
}

function tooMany(reply: FastifyReply, waitMs: number) {
  const seconds = Math.ceil(waitMs / 1000);
  reply.header('retry-after', String(seconds));
  return refuse(reply, 429, 'E_UI_THROTTLED', `too many failed attempts: try again in ${seconds} s`, { retryAfterSeconds: seconds });
}
