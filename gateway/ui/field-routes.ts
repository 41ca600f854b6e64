import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { gatewayConfigSchema } from '../config/schema/gateway-config.js';
import { BUILTIN_PROFILE_DIR, PACKAGE_ROOT } from '../config/paths.js';
import { ProblemFormatter } from '../config/config-problems.js';
import { loadProfiles } from '../config/profiles.js';
import { errorCode, errorMessage } from '../core/errors.js';
import type { GatewayFacade as Gateway } from '../facade.js';
import { levelsFor } from '../rules/crowd-levels.js';
import { AlarmAcks, alarmKey } from './alarm-acks.js';
import { guard } from './auth-guard.js';
import { EventPictures } from './event-pictures.js';
import { PointTrend } from './point-trend.js';
import { refuse, type UiContext, who } from './ui-context.js';
import { UI_LANGUAGES, type UiLanguage, UserPrefsStore } from './user-prefs.js';
import { HISTORY_RANGES, type HistoryRange, ZoneHistory } from './zone-history.js';

/**
 * What the field screens keep beside the data path (zone history, point trends, event pictures,
 * local alarm acknowledgements). Like LiveCache it outlives a gateway restart and listens to the
 * (isolated) bus, so it can never slow the pipeline.
 */
export class FieldData {
  readonly zones = new ZoneHistory();
  readonly trend = new PointTrend();
  readonly pictures = new EventPictures();
  readonly acks = new AlarmAcks();
  /** Each user's language (`<stateDir>/prefs.json`). */
  readonly prefs: UserPrefsStore;
  private off: Array<() => void> = [];

  constructor(stateDir: string) {
    this.prefs = new UserPrefsStore(join(stateDir, 'prefs.json'));
  }

  attach(gateway: Gateway): void {
    this.detach();
    this.off = [
      gateway.bus.on('readings', (r) => {
        this.zones.onReadings(r);
        this.trend.onReadings(r);
      }),
      gateway.bus.on('event-picture', (p) => this.pictures.add(p.id, p.picture)),
      gateway.bus.on('event', (e) => this.acks.onEvent(e)),
    ];
  }

  detach(): void {
    for (const o of this.off) o();
    this.off = [];
  }
}

/** Front-end libraries served from node_modules (no CDN): name → file and type. */
const VENDOR: Record<string, { file: string; type: string }> = {
  'i18next.js': { file: 'node_modules/i18next/dist/esm/i18next.js', type: 'text/javascript' },
  'uplot.js': { file: 'node_modules/uplot/dist/uPlot.esm.js', type: 'text/javascript' },
  'uplot.css': { file: 'node_modules/uplot/dist/uPlot.min.css', type: 'text/css' },
};

/** Site facts, zones with history, point trends, event pictures, alarm acknowledgement, profiles, the libraries. */
export async function fieldRoutes(app: FastifyInstance, ctx: UiContext, field: FieldData): Promise<void> {
  const vendor = new Map(Object.entries(VENDOR).map(([name, v]) => [name, { body: readFileSync(resolve(PACKAGE_ROOT, v.file)), type: v.type }]));
  app.get<{ Params: { name: string } }>('/ui/vendor/lib/:name', async (req, reply) => {
    const v = vendor.get(req.params.name);
    if (!v) return refuse(reply, 404, 'E_UI_NOT_FOUND', `no library ${req.params.name}`);
    return reply.type(v.type).send(v.body);
  });

  // The user's language, remembered on the box (the browser's language only until one is chosen).
  app.get('/api/ui/prefs', { preHandler: guard(ctx, 'viewer') }, async (req) => field.prefs.get(who(req)));
  app.put<{ Body: { lang?: unknown } }>('/api/ui/prefs', { preHandler: guard(ctx, 'viewer', 'prefs.set') }, async (req, reply) => {
    const lang = req.body?.lang;
    if (!UI_LANGUAGES.includes(lang as UiLanguage)) return refuse(reply, 400, 'E_UI_INVALID', `lang: one of ${UI_LANGUAGES.join(', ')}`, { field: 'lang' });
    return field.prefs.set(who(req), { lang: lang as UiLanguage });
  });

  // The site's time zone and identity: the UI shows every date in the site's time.
  app.get('/api/ui/site', { preHandler: guard(ctx, 'viewer') }, async () => {
    const g = ctx.gateway();
    return { site: g.config.site, gateway: g.config.gateway, timeZone: g.config.calendar.timeZone };
  });

  app.get('/api/ui/zones', { preHandler: guard(ctx, 'viewer') }, async () => {
    const g = ctx.gateway();
    const s = g.status();
    return {
      now: new Date().toISOString(),
      mode: s.mode,
      zones: s.zones.map((z) => {
        const config = g.config.zones.find((c) => c.id === z.zone);
        const thresholds = config ? levelsFor(config, s.mode) : [];
        const level = thresholds.find((t) => t.level === z.level);
        return { ...z, mode: s.mode, levelSeverity: level?.severity, thresholds: thresholds.map((t) => ({ level: t.level, at: t.at, severity: t.severity })) };
      }),
    };
  });

  app.get<{ Params: { id: string }; Querystring: { range?: string } }>(
    '/api/ui/zones/:id/history',
    { preHandler: guard(ctx, 'viewer') },
    async (req, reply) => {
      const range = (req.query.range ?? 'hour') as HistoryRange;
      if (!(range in HISTORY_RANGES)) return refuse(reply, 400, 'E_UI_INVALID', 'range: hour or day', { field: 'range' });
      const g = ctx.gateway();
      const config = g.config.zones.find((c) => c.id === req.params.id);
      if (!config) return refuse(reply, 404, 'E_UI_NOT_FOUND', `no zone ${req.params.id}`);
      const { bucketMs, samples } = field.zones.history(config.id, range);
      // Columns, ready for the chart: seconds, highest and last occupancy, rates.
      return {
        zone: config.id,
        range,
        bucketMs,
        thresholds: levelsFor(config, g.status().mode).map((t) => ({ level: t.level, at: t.at, severity: t.severity })),
        t: samples.map((s) => s.at / 1000),
        max: samples.map((s) => s.max),
        last: samples.map((s) => s.last),
        inflow: samples.map((s) => s.inflow),
        outflow: samples.map((s) => s.outflow),
      };
    },
  );

  app.get<{ Params: { id: string } }>('/api/ui/values/:id/trend', { preHandler: guard(ctx, 'viewer') }, async (req) => ({
    device: req.params.id,
    points: field.trend.forDevice(req.params.id),
  }));

  // A read through the running driver (its line queue, its broker), normalized: the value a write left.
  app.post<{ Params: { id: string; point: string } }>(
    '/api/ui/values/:id/:point/read',
    { preHandler: guard(ctx, 'technician', 'point.read') },
    async (req, reply) => {
      try {
        const r = await ctx.gateway().readPoint(req.params.id, req.params.point);
        return { reading: r };
      } catch (err) {
        return refuse(reply, 409, errorCode(err, 'E_UI_READ_FAILED'), errorMessage(err));
      }
    },
  );

  app.get<{ Params: { id: string } }>('/api/ui/events/:id/picture', { preHandler: guard(ctx, 'viewer') }, async (req, reply) => {
    const picture = field.pictures.get(req.params.id);
    if (!picture) return refuse(reply, 404, 'E_UI_NOT_FOUND', `no picture kept for event ${req.params.id}`);
    reply.header('cache-control', 'private, max-age=3600');
    return reply.type('image/jpeg').send(picture);
  });

  app.get('/api/ui/alarms', { preHandler: guard(ctx, 'viewer') }, async () => ({
    alarms: ctx.live.activeAlerts().map((e) => ({ ...e, alarmKey: alarmKey(e), ack: field.acks.get(alarmKey(e)), picture: field.pictures.has(e.id) })),
  }));

  app.get<{ Querystring: { limit?: string } }>('/api/ui/events/recent', { preHandler: guard(ctx, 'viewer') }, async (req) => ({
    events: ctx.live.recentEvents({ limit: Math.min(500, Number(req.query.limit ?? 500) || 500) }).map((e) => ({ ...e, picture: field.pictures.has(e.id) })),
  }));

  app.post<{ Body: { key?: unknown; note?: unknown } }>('/api/ui/alarms/ack', { preHandler: guard(ctx, 'technician', 'alarm.ack') }, async (req, reply) => {
    const { key, note } = req.body ?? {};
    if (typeof key !== 'string' || !key) return refuse(reply, 400, 'E_UI_INVALID', 'key: the alarm to acknowledge', { field: 'key' });
    if (note !== undefined && (typeof note !== 'string' || note.length > 500))
      return refuse(reply, 400, 'E_UI_INVALID', 'note: text of at most 500 characters', { field: 'note' });
    const alarm = ctx.live.activeAlerts().find((e) => alarmKey(e) === key);
    if (!alarm) return refuse(reply, 404, 'E_UI_NOT_FOUND', `no active alarm ${key} (cleared already?)`);
    const ack = { by: who(req), at: new Date().toISOString(), note: typeof note === 'string' && note.trim() ? note.trim() : undefined };
    field.acks.ack(key, ack);
    ctx.audit.append({
      who: who(req),
      address: req.ip,
      action: 'alarm.ack',
      target: key,
      outcome: 'ok',
      reason: ack.note,
      diff: { event: alarm.id, type: alarm.type },
    });
    return { ack };
  });

  // The commissioning report: one page per site, what a technician hands over at site acceptance.
  app.get('/api/ui/report', { preHandler: guard(ctx, 'viewer') }, async (req) => {
    const g = ctx.gateway();
    const s = g.status();
    const states = new Map(g.deviceStates().map((d) => [d.device, d]));
    const uplink = s.uplink as { connected: boolean; since: number; lastError?: string };
    return {
      generatedAt: new Date().toISOString(),
      by: who(req),
      site: g.config.site,
      gateway: g.config.gateway,
      timeZone: g.config.calendar.timeZone,
      version: s.version,
      configVersion: ctx.store.current().version,
      mode: s.mode,
      uplink: {
        connected: uplink.connected,
        since: new Date(uplink.since).toISOString(),
        lastError: uplink.lastError,
        broker: new URL(g.config.platform.url).host,
      },
      outbox: { events: s.outbox.events.count, telemetry: s.outbox.telemetry.count },
      zones: s.zones.map((z) => ({ zone: z.zone, name: z.name, occupancy: z.occupancy, level: z.level })),
      devices: g.config.devices.map((d) => {
        const st = states.get(d.id);
        const meta = (st?.meta ?? {}) as Record<string, unknown>;
        const latest = ctx.live.latest(d.id).sort((a, b) => (a.ts < b.ts ? 1 : -1))[0];
        const channels = (meta.channels as unknown[] | undefined)?.length;
        return {
          id: d.id,
          name: d.name,
          kind: d.kind,
          driver: d.driver,
          zone: d.zone,
          status: d.enabled === false ? 'disabled' : (st?.status ?? 'not running'),
          reason: st?.error,
          lastSeen: st?.lastSeen,
          manufacturer: meta.manufacturer,
          model: meta.model,
          firmware: meta.firmware,
          channels,
          lastReading: latest ? { point: latest.point, value: latest.value, unit: latest.unit, quality: latest.quality, ts: latest.ts } : undefined,
          lastTest: ctx.tests.get(d.id),
        };
      }),
    };
  });

  // Device profiles for the picker: name, driver, description and points (read each time: a
  // technician may drop a new profile file in the folder).
  let formatter: ProblemFormatter | undefined;
  app.get('/api/ui/profiles', { preHandler: guard(ctx, 'viewer') }, async () => {
    formatter ??= new ProblemFormatter(gatewayConfigSchema);
    const { profiles } = loadProfiles([BUILTIN_PROFILE_DIR, ...ctx.gateway().config.profileDirs], formatter);
    return {
      profiles: [...profiles.values()].map((p) => ({
        name: p.name,
        driver: p.driver,
        kind: (p as { kind?: string }).kind,
        description: (p as { description?: string }).description,
        points: ((p as { points?: Array<{ name: string; unit?: string; writable?: unknown }> }).points ?? []).map((x) => ({
          name: x.name,
          unit: x.unit,
          writable: x.writable !== undefined,
        })),
      })),
    };
  });
}
