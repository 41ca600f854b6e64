import { statfs } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { MODES, type Mode } from '../core/model.js';
import { guard } from './auth-guard.js';
import { refuse, type UiContext, who } from './ui-context.js';

/** The dashboard in one call (uplink, outbox per lane, overload, disk, clock, mode, alerts) and the mode switch. */
export async function dashboardRoutes(app: FastifyInstance, ctx: UiContext): Promise<void> {
  app.get('/api/ui/dashboard', { preHandler: guard(ctx, 'viewer') }, async () => {
    const g = ctx.gateway();
    const s = g.status();
    const now = Date.now();
    const lane = (l: { count: number; bytes: number; oldestMs?: number }, dropped: number) => ({
      count: l.count,
      bytes: l.bytes,
      oldestAgeSeconds: l.oldestMs === undefined ? 0 : Math.max(0, Math.round((now - l.oldestMs) / 1000)),
      dropped,
    });
    let disk: { freeBytes: number; totalBytes: number } | { error: string };
    try {
      const f = await statfs(g.config.dataDir);
      disk = { freeBytes: f.bavail * f.bsize, totalBytes: f.blocks * f.bsize };
    } catch (err) {
      disk = { error: (err as NodeJS.ErrnoException).code ?? 'unavailable' };
    }
    const counts: Record<string, number> = { online: 0, offline: 0, error: 0, disabled: 0 };
    for (const d of s.devices) counts[d.status] = (counts[d.status] ?? 0) + 1;
    const uplink = s.uplink as { connected: boolean; since: number; lastError?: string };
    // Overload (gateway/pipeline/overload-guard.ts): since when, why, which devices are slowed or
    // thinned and how much was dropped; the backlog is the outbox lanes beside it.
    const names = new Map(g.config.devices.map((d) => [d.id, d.name]));
    const o = s.overload;
    const overload = o.overloaded
      ? {
          overloaded: true,
          since: o.since,
          cause: o.cause,
          keepOneIn: o.keepOneIn,
          shed: o.shed,
          stretched: o.stretchedDevices.map((device) => ({ device, name: names.get(device) })),
          thinned: o.thinnedDevices.map((t) => ({ ...t, name: names.get(t.device) })),
        }
      : { overloaded: false, shed: o.shed };
    return {
      now: new Date(now).toISOString(),
      gateway: s.gateway,
      site: s.site,
      version: s.version,
      mode: s.mode,
      modes: MODES,
      uplink: { connected: uplink.connected, since: new Date(uplink.since).toISOString(), lastError: uplink.lastError },
      outbox: {
        capacityBytes: s.outbox.capacityBytes,
        lanes: { events: lane(s.outbox.events, s.outbox.dropped.events), telemetry: lane(s.outbox.telemetry, s.outbox.dropped.telemetry) },
      },
      overload,
      disk,
      devices: counts,
      alerts: ctx.live.activeAlerts().slice(0, 50),
      configVersion: ctx.store.current().version,
    };
  });

  app.post<{ Body: { mode?: unknown; reason?: unknown } }>('/api/ui/mode', { preHandler: guard(ctx, 'technician', 'mode.set') }, async (req, reply) => {
    const { mode, reason } = req.body ?? {};
    if (!MODES.includes(mode as Mode)) return refuse(reply, 400, 'E_UI_INVALID', `mode: one of ${MODES.join(', ')}`, { field: 'mode' });
    if (typeof reason !== 'string' || reason.trim().length < 3)
      return refuse(reply, 400, 'E_UI_INVALID', 'reason: say why (at least 3 characters)', { field: 'reason' });
    const r = ctx.gateway().setMode(mode as Mode, `ui:${who(req)}`, reason.trim().slice(0, 500));
    ctx.audit.append({
      who: who(req),
      address: req.ip,
      action: 'mode.set',
      target: 'site mode',
      outcome: 'ok',
      reason: reason.trim(),
      diff: [{ path: 'mode', kind: 'changed', before: r.previous, after: r.mode }],
    });
    return r;
  });
}
