import type { FastifyInstance } from 'fastify';
import { errorCode, errorMessage } from '../core/errors.js';
import { guard, sameOrigin } from './auth-guard.js';
import { refuse, SESSION_COOKIE, type UiContext } from './ui-context.js';

/** Cameras and NVR channels: the grid, snapshots on demand, recent events, live view. */
export async function cameraRoutes(app: FastifyInstance, ctx: UiContext): Promise<void> {
  app.get('/api/ui/cameras', { preHandler: guard(ctx, 'viewer') }, async () => {
    const g = ctx.gateway();
    const states = new Map(g.deviceStates().map((s) => [s.device, s]));
    const channels: unknown[] = [];
    for (const d of g.config.devices) {
      if (d.kind !== 'camera' && d.kind !== 'nvr') continue;
      const s = states.get(d.id);
      const list = (s?.meta?.channels as Array<{ channel: number; stream?: string; snapshot?: boolean }> | undefined) ?? [{ channel: 1 }];
      for (const c of list) {
        channels.push({
          device: d.id,
          name: d.name,
          channel: c.channel,
          zone: d.zone,
          status: s?.status ?? 'not running',
          reason: s?.error,
          lastSeen: s?.lastSeen,
          events: ctx.live.recentEvents({ device: d.id, channel: list.length > 1 ? c.channel : undefined, limit: 3 }).map((e) => ({ ts: e.ts, type: e.type, severity: e.severity, state: e.state })),
        });
      }
    }
    return { channels, streams: ctx.streams.stats() };
  });

  app.get<{ Params: { id: string }; Querystring: { channel?: string } }>('/api/ui/cameras/:id/snapshot', { preHandler: guard(ctx, 'viewer') }, async (req, reply) => {
    const channel = req.query.channel === undefined ? undefined : Number(req.query.channel);
    try {
      const jpeg = await ctx.gateway().takeSnapshot(req.params.id, channel);
      reply.header('cache-control', 'no-store');
      return reply.type('image/jpeg').send(jpeg);
    } catch (err) {
      return refuse(reply, 502, errorCode(err, 'E_UI_SNAPSHOT'), errorMessage(err));
    }
  });

  app.get<{ Params: { id: string; channel: string } }>('/api/ui/ws/live/:id/:channel', { websocket: true }, (socket, req) => {
    const session = ctx.sessions.get(req.cookies[SESSION_COOKIE]);
    if (!session || !sameOrigin(req)) {
      socket.close(4401, 'log in first');
      return;
    }
    if (!ctx.gateway().config.devices.some((d) => d.id === req.params.id)) {
      socket.close(4404, 'no such device');
      return;
    }
    const leave = ctx.streams.join(req.params.id, Number(req.params.channel) || 1, (chunk) => {
      // A viewer on a slow link skips video rather than growing the server's memory.
      if (socket.bufferedAmount < 2 * 1024 * 1024) socket.send(chunk);
    });
    socket.on('close', leave);
  });
}
