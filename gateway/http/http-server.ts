import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../observability/metrics.js';

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
}

/**
 * The daemon's HTTP side: Prometheus `/metrics`, `/healthz` (the process answers), `/readyz`
 * (503 naming each failing check) and `/api/status`. The technicians' UI mounts here too.
 */
export async function startHttpServer(o: HttpServerOptions): Promise<{ app: FastifyInstance; port: number }> {
  // Requests are not logged one by one (warn level): /metrics is scraped every few seconds.
  const app = Fastify({ ...(o.https ? { https: o.https } : {}), loggerInstance: o.log.child({ component: 'http' }, { level: 'warn' }) as FastifyBaseLogger, bodyLimit: 1024 * 1024 });
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    const checks = o.readiness();
    const failing = checks.filter((c) => !c.ok);
    reply.code(failing.length ? 503 : 200);
    return { ready: failing.length === 0, checks };
  });
  app.get('/metrics', async (_req, reply) => {
    o.refreshMetrics();
    reply.header('content-type', o.metrics.registry.contentType);
    return o.metrics.registry.metrics();
  });
  app.get('/api/status', async () => o.status());
  for (const plugin of o.plugins ?? []) await plugin(app);
  await app.listen({ host: o.host, port: o.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  return { app, port };
}
