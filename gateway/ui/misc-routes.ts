import type { FastifyInstance } from 'fastify';
import { errorMessage } from '../core/errors.js';
import { guard } from './auth-guard.js';
import { refuse, type UiContext, who } from './ui-context.js';

/** Logs (recent, filtered, redacted) and discovery (results against the configured devices). */
export async function miscRoutes(app: FastifyInstance, ctx: UiContext): Promise<void> {
  app.get<{ Querystring: { level?: string; text?: string; limit?: string } }>('/api/ui/logs', { preHandler: guard(ctx, 'technician') }, async (req) => {
    if (!ctx.logs) return { lines: [], note: 'the log buffer is not connected to this gateway' };
    return { lines: ctx.logs.query({ level: req.query.level, text: req.query.text, limit: Math.min(1000, Number(req.query.limit ?? 300) || 300) }) };
  });

  app.post<{ Body: { timeoutMs?: unknown } }>('/api/ui/discovery/scan', { preHandler: guard(ctx, 'technician', 'discovery.scan') }, async (req, reply) => {
    const timeoutMs = Math.min(15_000, Math.max(500, Number(req.body?.timeoutMs ?? 3000) || 3000));
    try {
      const { found, reports } = await ctx.discover(timeoutMs);
      const devices = ctx.gateway().config.devices as ReadonlyArray<{ id: string; url?: string }>;
      const hostOf = (u: string | undefined) => {
        try {
          return u ? new URL(u.includes('://') ? u : `http://${u}`).host : undefined;
        } catch {
          return undefined;
        }
      };
      ctx.audit.append({ who: who(req), address: req.ip, action: 'discovery.scan', outcome: 'ok', reason: `${found.length} found` });
      return {
        found: found.map((f) => {
          const match = devices.find((d) => d.url !== undefined && (hostOf(d.url) === hostOf(f.address) || d.url === f.address));
          return { ...f, configured: match?.id };
        }),
        // What was probed where (interfaces, targets, answers): the page shows it when nothing answered.
        reports,
      };
    } catch (err) {
      return refuse(reply, 502, 'E_UI_DISCOVERY', errorMessage(err));
    }
  });
}
