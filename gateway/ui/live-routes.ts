import type { FastifyInstance } from 'fastify';
import { errorCode, errorMessage } from '../core/errors.js';
import type { GatewayEvent } from '../core/model.js';
import { guard } from './auth-guard.js';
import { refuse, type UiContext, who } from './ui-context.js';

/** A client that cannot keep up gets no more frames until its socket drains (bytes). */
const MAX_BUFFERED = 1024 * 1024;

/** Live values with their age, writing a point, and the live events feed (websocket). */
export async function liveRoutes(app: FastifyInstance, ctx: UiContext): Promise<void> {
  app.get<{ Params: { id: string } }>('/api/ui/values/:id', { preHandler: guard(ctx, 'viewer') }, async (req, reply) => {
    const device = ctx.gateway().config.devices.find((d) => d.id === req.params.id);
    if (!device) return refuse(reply, 404, 'E_UI_NOT_FOUND', `no device ${req.params.id}`);
    const latest = new Map(ctx.live.latest(device.id).map((r) => [r.point, r]));
    const now = Date.now();
    return {
      device: device.id,
      now: new Date(now).toISOString(),
      points: device.points.map((p) => {
        const r = latest.get(p.name);
        return {
          name: p.name,
          unit: p.unit,
          writable: p.writable ?? null,
          value: r?.value ?? null,
          quality: r?.quality,
          error: r?.error,
          ts: r?.ts,
          ageMs: r ? now - Date.parse(r.ts) : null,
        };
      }),
    };
  });

  app.post<{ Params: { id: string; point: string }; Body: { value?: unknown; confirm?: unknown } }>(
    '/api/ui/values/:id/:point',
    { preHandler: guard(ctx, 'technician', 'point.write') },
    async (req, reply) => {
      const { value, confirm } = req.body ?? {};
      const target = `${req.params.id}/${req.params.point}`;
      if (confirm !== true) return refuse(reply, 400, 'E_UI_CONFIRM', 'a write must be confirmed (confirm: true)');
      if (typeof value !== 'number' && typeof value !== 'boolean' && typeof value !== 'string')
        return refuse(reply, 400, 'E_UI_INVALID', 'value: a number, true/false or text', { field: 'value' });
      try {
        await ctx.gateway().writePoint(req.params.id, req.params.point, value);
      } catch (err) {
        const code = errorCode(err, 'E_UI_WRITE_FAILED');
        ctx.audit.append({ who: who(req), address: req.ip, action: 'point.write', target, outcome: 'failed', reason: errorMessage(err), diff: { value } });
        return refuse(reply, 409, code, errorMessage(err));
      }
      ctx.audit.append({ who: who(req), address: req.ip, action: 'point.write', target, outcome: 'ok', diff: { value } });
      return { ok: true };
    },
  );

  app.get<{ Querystring: { device?: string; limit?: string } }>('/api/ui/events', { preHandler: guard(ctx, 'viewer') }, async (req) => ({
    events: ctx.live.recentEvents({ device: req.query.device, limit: Math.min(500, Number(req.query.limit ?? 100) || 100) }),
  }));

  // The feed: on connect the recent events, then batches as they come. Cookies ride on the
  // upgrade request; Origin is checked because browsers do not apply CORS to websockets.
  // The socket is filed under its session (live-sockets.ts): logout or a user change closes it.
  app.get('/api/ui/ws/events', { websocket: true }, (socket, req) => {
    if (!ctx.sockets.admit(socket, req)) return;
    let skipped = 0;
    const send = (events: GatewayEvent[]) => {
      if (socket.bufferedAmount > MAX_BUFFERED) {
        skipped += events.length;
        return;
      }
      socket.send(JSON.stringify(skipped ? { events, skipped } : { events }));
      skipped = 0;
    };
    send(ctx.live.recentEvents({ limit: 50 }).reverse());
    const off = ctx.live.subscribe(send);
    socket.on('close', off);
  });
}
