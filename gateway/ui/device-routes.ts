import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { deviceSchema } from '../config/schema/devices.js';
import { guard } from './auth-guard.js';
import { diffConfig } from './config-diff.js';
import type { ConfigStore } from '../config/config-store.js';
import { redactDoc } from './redact.js';
import { commitSecrets, sealSecrets } from './sealed-secrets.js';
import { SECRET_ENV_PREFIX } from './secret-store.js';
import { refuse, type UiContext, who } from './ui-context.js';

type Doc = Record<string, unknown> & { devices?: Array<Record<string, unknown>> };

let deviceJsonSchema: unknown;
/** The device form's schema, from the one zod schema (io: input, so defaults are optional). */
export function deviceFormSchema(): unknown {
  deviceJsonSchema ??= z.toJSONSchema(deviceSchema, { io: 'input', unrepresentable: 'any' });
  return deviceJsonSchema;
}

/** Devices: list with true status, add / edit / remove through the configuration store, test before save. */
export async function deviceRoutes(app: FastifyInstance, ctx: UiContext): Promise<void> {
  app.get('/api/ui/schema/device', { preHandler: guard(ctx, 'viewer') }, async () => deviceFormSchema());

  app.get('/api/ui/devices', { preHandler: guard(ctx, 'viewer') }, async () => {
    const states = new Map(
      ctx
        .gateway()
        .deviceStates()
        .map((s) => [s.device, s]),
    );
    // Input each device had refused (malformed, duplicate-key, stale-time, implausible, …): gridgate_ingest_rejected_total.
    const rejected = ctx.gateway().status().ingestRejected;
    const docs = (ctx.store.current().doc as Doc).devices ?? [];
    return {
      devices: docs.map((d) => {
        const s = states.get(String(d.id));
        return {
          id: d.id,
          name: d.name,
          driver: d.driver,
          kind: d.kind,
          zone: d.zone,
          enabled: d.enabled !== false,
          status: s?.status ?? 'not running',
          reason: s?.error ?? (s?.meta?.reason as string | undefined),
          lastSeen: s?.lastSeen,
          since: s?.ts,
          rejected: rejected[String(d.id)],
        };
      }),
    };
  });

  app.get<{ Params: { id: string } }>('/api/ui/devices/:id', { preHandler: guard(ctx, 'viewer') }, async (req, reply) => {
    const d = ((ctx.store.current().doc as Doc).devices ?? []).find((x) => x.id === req.params.id);
    if (!d) return refuse(reply, 404, 'E_UI_NOT_FOUND', `no device ${req.params.id}`);
    return { device: redactDoc(d) };
  });

  const change = async (
    req: { body: unknown; ip: string; session?: { user: string } },
    action: string,
    target: string,
    edit: (devices: Array<Record<string, unknown>>, device?: Record<string, unknown>) => string | undefined,
  ) => {
    const body = (req.body ?? {}) as { device?: Record<string, unknown>; reason?: string };
    const current = ctx.store.current();
    const sealed = body.device ? sealSecrets(body.device, ['dev', String(body.device.id ?? target)]) : { doc: undefined, pending: [] };
    const next = structuredClone(current.doc) as Doc;
    next.devices = [...(next.devices ?? [])];
    const problem = edit(next.devices, sealed.doc as Record<string, unknown> | undefined);
    if (problem) return { status: 404, body: { error: { code: 'E_UI_NOT_FOUND', message: problem } } };
    const by = req.session?.user ?? '(anonymous)';
    const result = ctx.store.propose(next, { by, reason: String(body.reason ?? '') || `${action} ${target}`, source: 'ui' });
    if (!result.ok) {
      ctx.audit.append({ who: by, address: req.ip, action, target, outcome: 'refused', reason: 'invalid configuration', diff: result.problems });
      return {
        status: 400,
        body: {
          error: {
            code: 'E_UI_INVALID',
            message: 'the configuration would not be valid',
            problems: prefixless(result.problems, next, target.replace(/^device /, '')),
          },
        },
      };
    }
    commitSecrets(ctx.secrets, sealed.pending);
    ctx.audit.append({ who: by, address: req.ip, action, target, outcome: 'ok', diff: diffConfig(current.doc, next) });
    return { status: 202, body: { version: result.version } };
  };

  app.post('/api/ui/devices', { preHandler: guard(ctx, 'technician', 'device.add') }, async (req, reply) => {
    const id = String(((req.body ?? {}) as { device?: { id?: unknown } }).device?.id ?? '');
    const r = await change(req, 'device.add', `device ${id}`, (devices, device) => {
      if (!device) return 'no device in the request';
      devices.push(device);
      return undefined;
    });
    return reply.code(r.status).send(r.body);
  });

  app.put<{ Params: { id: string } }>('/api/ui/devices/:id', { preHandler: guard(ctx, 'technician', 'device.update') }, async (req, reply) => {
    const r = await change(req, 'device.update', `device ${req.params.id}`, (devices, device) => {
      const i = devices.findIndex((d) => d.id === req.params.id);
      if (i < 0 || !device) return `no device ${req.params.id}`;
      devices[i] = keepSecrets(devices[i]!, device);
      return undefined;
    });
    return reply.code(r.status).send(r.body);
  });

  app.delete<{ Params: { id: string } }>('/api/ui/devices/:id', { preHandler: guard(ctx, 'technician', 'device.remove') }, async (req, reply) => {
    const r = await change(req, 'device.remove', `device ${req.params.id}`, (devices) => {
      const i = devices.findIndex((d) => d.id === req.params.id);
      if (i < 0) return `no device ${req.params.id}`;
      devices.splice(i, 1);
      return undefined;
    });
    return reply.code(r.status).send(r.body);
  });

  app.post('/api/ui/devices/test', { preHandler: guard(ctx, 'technician', 'device.test') }, async (req, reply) => {
    const body = (req.body ?? {}) as { device?: Record<string, unknown>; point?: string; waitMs?: unknown };
    if (!body.device) return refuse(reply, 400, 'E_UI_INVALID', 'no device in the request');
    // How long to wait for the device's first word (a sensor that publishes every 30 s): 1..60 s.
    const waitMs = body.waitMs === undefined ? undefined : Number(body.waitMs);
    if (waitMs !== undefined && !(Number.isInteger(waitMs) && waitMs >= 1000 && waitMs <= 60_000)) {
      return refuse(reply, 400, 'E_UI_INVALID', 'the device settings are not valid', {
        problems: [{ path: 'waitMs', message: 'Too big or too small: expected an integer from 1000 to 60000', example: 5000 }],
      });
    }
    const checked = checkDevice(ctx.store, body.device);
    if (!checked.ok) return refuse(reply, 400, 'E_UI_INVALID', 'the device settings are not valid', { problems: checked.problems });
    ctx.audit.append({ who: who(req), address: req.ip, action: 'device.test', target: `device ${String(body.device.id)}`, outcome: 'ok' });
    const result = await ctx.testDevice(checked.device, { point: body.point, waitMs, secretEnv: checked.secretEnv });
    // Kept for the commissioning report ("last test read"); never the snapshot or a password.
    ctx.tests.record(String(checked.device.id), who(req), result);
    return result;
  });
}

/** Validates one device as part of the running configuration (profiles merged, defaults filled). */
export function checkDevice(store: ConfigStore, device: Record<string, unknown>) {
  const sealed = sealSecrets(device, ['test']);
  const doc = structuredClone(store.current().doc) as Doc;
  doc.devices = [...(doc.devices ?? []).filter((d) => d.id !== device.id), sealed.doc as Record<string, unknown>];
  const checked = store.validate(doc);
  if (!checked.ok) return { ok: false as const, problems: prefixless(checked.problems, doc, String(device.id)) };
  const valid = checked.loaded.config.devices.find((d) => d.id === device.id)!;
  // A password typed but not saved yet (at any depth: a camera's `password`, an MQTT sensor's
  // `auth.password`) is referenced as `{ env }` like a stored one; its value is handed over, only
  // to the test, as that environment variable on top of the daemon's.
  const secretEnv = Object.fromEntries(sealed.pending.map((p) => [SECRET_ENV_PREFIX + p.name, p.value]));
  return { ok: true as const, device: structuredClone(valid) as unknown as Record<string, unknown>, secretEnv };
}

/** An edit that leaves a password field empty keeps the stored reference. */
function keepSecrets(old: Record<string, unknown>, next: Record<string, unknown>): Record<string, unknown> {
  const out = { ...next };
  for (const [k, v] of Object.entries(old)) if (out[k] === undefined && typeof v === 'object' && v !== null && ('env' in v || 'file' in v)) out[k] = v;
  return out;
}

/** Problems of the edited device, with paths from the device itself (`connection.port`), others as is. */
function prefixless(problems: Array<{ path: string; message: string; example?: unknown }>, doc: Doc, id: string) {
  const i = (doc.devices ?? []).findIndex((d) => d.id === id);
  const prefix = `devices[${i}]`;
  return problems.map((p) => (i >= 0 && p.path.startsWith(prefix) ? { ...p, field: p.path.slice(prefix.length).replace(/^\./, '') || '(device)' } : p));
}
