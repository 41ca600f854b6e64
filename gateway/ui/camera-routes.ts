import type { FastifyInstance } from 'fastify';
import { errorCode, errorMessage } from '../core/errors.js';
import { guard } from './auth-guard.js';
import { CLOSE_LIMIT } from './live-sockets.js';
import { refuse, type UiContext } from './ui-context.js';

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
          events: ctx.live
            .recentEvents({ device: d.id, channel: list.length > 1 ? c.channel : undefined, limit: 3 })
            .map((e) => ({ ts: e.ts, type: e.type, severity: e.severity, state: e.state })),
        });
      }
    }
    return { channels, streams: ctx.streams.stats(), liveView: ctx.streams.totals() };
  });

  app.get<{ Params: { id: string }; Querystring: { channel?: string } }>(
    '/api/ui/cameras/:id/snapshot',
    { preHandler: guard(ctx, 'viewer') },
    async (req, reply) => {
      const channel = req.query.channel === undefined ? undefined : Number(req.query.channel);
      try {
        const jpeg = await ctx.gateway().takeSnapshot(req.params.id, channel);
        reply.header('cache-control', 'no-store');
        return reply.type('image/jpeg').send(jpeg);
      } catch (err) {
        return refuse(reply, 502, errorCode(err, 'E_UI_SNAPSHOT'), errorMessage(err));
      }
    },
  );

  // Filed under its session (live-sockets.ts): logout or a user change closes it. A cap reached
  // closes it with 4429 and the reason (at most 123 bytes, RFC 6455 5.5) the page shows.
  app.get<{ Params: { id: string; channel: string } }>('/api/ui/ws/live/:id/:channel', { websocket: true }, (socket, req) => {
    const session = ctx.sockets.admit(socket, req);
    if (!session) return;
    const device = ctx.gateway().config.devices.find((d) => d.id === req.params.id);
    const channel = Number(req.params.channel);
    if (!device || (device.kind !== 'camera' && device.kind !== 'nvr') || !Number.isInteger(channel) || channel < 1 || channel > 256) {
      socket.close(4404, 'no such camera channel');
      return;
    }
    let leave: () => void;
    try {
      leave = ctx.streams.join(
        device.id,
        channel,
        (chunk) => {
          // A viewer on a slow link skips video rather than growing the server's memory.
          if (socket.bufferedAmount < 2 * 1024 * 1024) socket.send(chunk);
        },
        session.user,
      );
    } catch (err) {
      socket.close(CLOSE_LIMIT, closeReason(errorMessage(err)));
      return;
    }
    socket.on('close', leave);
  });
}

/** A websocket close reason is at most 123 bytes (RFC 6455 5.5: 125 minus the 2-byte code). */
function closeReason(text: string): string {
  const b = Buffer.from(text);
  return b.length <= 123
    ? text
    : `${b
        .subarray(0, 120)
        .toString('utf8')
        .replace(/\uFFFD$/, '')}...`;
}
