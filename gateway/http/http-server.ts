import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../observability/metrics.js';
import { bearerMatches, deny, fromLoopback, HostAllowList } from './access.js';
import { registerSecurityHeaders } from './security-headers.js';

export interface HealthCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  log: Logger;
  metrics: GatewayMetrics;
  /** Called before each scrape so gauges are current. */
  refreshMetrics: () => void;
  readiness: () => HealthCheck[];
  status: () => unknown;
  /** Route registrations (extensions), run before the server listens. */
  plugins?: Array<(app: FastifyInstance) => Promise<void>>;
  https?: { key: string; cert: string };
  /** Host names and addresses the box answers to besides its own (`http.allowedHosts`). */
  allowedHosts?: readonly string[];
  /** The bearer token `/metrics` (and `/api/status`) accept (`http.metrics.token`); without it `/metrics` answers loopback only. */
  metricsToken?: string;
  /** Whether a request carries a login of an extension (a UI session): `/api/status` accepts it. */
  authenticated?: (req: FastifyRequest) => boolean;
}

/**
 * The daemon's HTTP side: Prometheus `/metrics`, `/healthz` (the process answers), `/readyz`
 * (503 naming each failing check) and `/api/status`. The technicians' UI mounts here too.
 *
 * Access (docs/security.md): every request must name this box in `Host` (DNS rebinding);
 * `/healthz` and `/readyz` are open but give check details only to loopback or the metrics
 * token; `/metrics` needs the token or comes from loopback; `/api/status` (every device, model,
 * firmware, stream address) needs a UI session, the token, or loopback when no UI runs.
 */
export async function startHttpServer(o: HttpServerOptions): Promise<{ app: FastifyInstance; port: number }> {
  // Requests are not logged one by one (warn level): /metrics is scraped every few seconds.
  const app = Fastify({
    ...(o.https ? { https: o.https } : {}),
    loggerInstance: o.log.child({ component: 'http' }, { level: 'warn' }) as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
  });
  // First, so that even refusals carry the headers.
  await registerSecurityHeaders(app, { https: Boolean(o.https) });
  const hosts = new HostAllowList({ bind: o.host, extra: o.allowedHosts ?? [] });
  // 421 Misdirected Request (RFC 9110 15.5.20): this server is not the one the name points to.
  app.addHook('onRequest', async (req, reply) => {
    if (hosts.allows(req.headers.host)) return;
    // A refused websocket upgrade: nobody else ends that connection (it is no longer the HTTP server's).
    if (req.headers.upgrade) reply.raw.once('finish', () => req.raw.socket.destroy());
    reply.header('connection', 'close');
    return deny(reply, 421, 'E_HTTP_HOST', 'this gateway does not answer to that host name (add it to http.allowedHosts)');
  });
  const trusted = (req: FastifyRequest) => fromLoopback(req) || bearerMatches(req, o.metricsToken);
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (req, reply) => {
    const checks = o.readiness();
    const failing = checks.filter((c) => !c.ok);
    reply.code(failing.length ? 503 : 200);
    // Details name brokers and errors: only for the box itself or the monitoring token.
    return { ready: failing.length === 0, checks: trusted(req) ? checks : checks.map(({ name, ok }) => ({ name, ok })) };
  });
  app.get('/metrics', async (req, reply) => {
    if (!trusted(req)) {
      reply.header('www-authenticate', 'Bearer realm="gridgate-metrics"');
      return deny(
        reply,
        401,
        'E_HTTP_METRICS_AUTH',
        o.metricsToken
          ? 'send the metrics token (Authorization: Bearer)'
          : 'metrics are served to loopback only: set http.metrics.token to scrape from the network',
      );
    }
    o.refreshMetrics();
    reply.header('content-type', o.metrics.registry.contentType);
    reply.header('cache-control', 'no-store');
    return o.metrics.registry.metrics();
  });
  app.get('/api/status', async (req, reply) => {
    const allowed = o.authenticated ? o.authenticated(req) || bearerMatches(req, o.metricsToken) : trusted(req);
    if (!allowed) return deny(reply, 401, 'E_UI_LOGIN_REQUIRED', 'log in first (or send the metrics token)');
    reply.header('cache-control', 'no-store');
    return o.status();
  });
  for (const plugin of o.plugins ?? []) await plugin(app);
  await app.listen({ host: o.host, port: o.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  return { app, port };
}
