import type { FastifyInstance } from 'fastify';
import { parse as parseYaml, stringify } from 'yaml';
import { guard } from './auth-guard.js';
import { diffConfig } from './config-diff.js';
import { redactDoc } from './redact.js';
import { commitSecrets, sealSecrets } from './sealed-secrets.js';
import { refuse, type UiContext, who } from './ui-context.js';

/** Export (redacted), import with validation and a diff, version history, rollback. */
export async function configRoutes(app: FastifyInstance, ctx: UiContext): Promise<void> {
  app.get('/api/ui/config/current', { preHandler: guard(ctx, 'viewer') }, async () => {
    const { doc, ...meta } = ctx.store.current();
    return { version: meta, doc: redactDoc(doc), secrets: ctx.secrets.list() };
  });

  app.get<{ Querystring: { format?: string } }>('/api/ui/config/export', { preHandler: guard(ctx, 'technician') }, async (req, reply) => {
    const v = ctx.store.current();
    const doc = redactDoc(v.doc);
    const json = req.query.format === 'json';
    reply.header('content-disposition', `attachment; filename="gridgate-config-v${v.version}.${json ? 'json' : 'yaml'}"`);
    reply.type(json ? 'application/json' : 'application/yaml');
    return json
      ? JSON.stringify(doc, null, 2)
      : `# gridgate configuration version ${v.version} (${v.at}, by ${v.by}); secrets are references only\n${stringify(doc)}`;
  });

  const parse = (text: unknown): { ok: true; doc: Record<string, unknown> } | { ok: false; message: string } => {
    if (typeof text !== 'string' || text.trim() === '') return { ok: false, message: 'the file is empty' };
    try {
      const doc = parseYaml(text, { maxAliasCount: 100 }) as unknown;
      if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { ok: false, message: 'must be a mapping of settings' };
      return { ok: true, doc: doc as Record<string, unknown> };
    } catch (err) {
      return { ok: false, message: `not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}` };
    }
  };

  app.post<{ Body: { text?: unknown } }>('/api/ui/config/preview', { preHandler: guard(ctx, 'technician') }, async (req, reply) => {
    const parsed = parse(req.body?.text);
    if (!parsed.ok) return refuse(reply, 400, 'E_UI_INVALID', parsed.message);
    const sealed = sealSecrets(parsed.doc, ['cfg']);
    const checked = ctx.store.validate(sealed.doc);
    return { ok: checked.ok, problems: checked.ok ? [] : checked.problems, diff: diffConfig(ctx.store.current().doc, sealed.doc) };
  });

  app.post<{ Body: { text?: unknown; reason?: unknown } }>(
    '/api/ui/config/import',
    { preHandler: guard(ctx, 'admin', 'config.import') },
    async (req, reply) => {
      const parsed = parse(req.body?.text);
      if (!parsed.ok) return refuse(reply, 400, 'E_UI_INVALID', parsed.message);
      const sealed = sealSecrets(parsed.doc, ['cfg']);
      const before = ctx.store.current().doc;
      const r = ctx.store.propose(sealed.doc as Record<string, unknown>, {
        by: who(req),
        reason: String(req.body?.reason ?? '') || 'imported from a file',
        source: 'ui',
      });
      if (!r.ok) {
        ctx.audit.append({ who: who(req), address: req.ip, action: 'config.import', outcome: 'refused', reason: 'invalid configuration', diff: r.problems });
        return refuse(reply, 400, 'E_UI_INVALID', 'the configuration is not valid', { problems: r.problems });
      }
      commitSecrets(ctx.secrets, sealed.pending);
      ctx.audit.append({
        who: who(req),
        address: req.ip,
        action: 'config.import',
        target: `version ${r.version.version}`,
        outcome: 'ok',
        diff: diffConfig(before, sealed.doc),
      });
      return reply.code(202).send({ version: r.version });
    },
  );

  app.get('/api/ui/config/versions', { preHandler: guard(ctx, 'viewer') }, async () => ({ current: ctx.store.current().version, versions: ctx.store.list() }));

  app.get<{ Params: { n: string } }>('/api/ui/config/versions/:n', { preHandler: guard(ctx, 'viewer') }, async (req, reply) => {
    const n = Number(req.params.n);
    const v = ctx.store.get(n);
    if (!v) return refuse(reply, 404, 'E_UI_NOT_FOUND', `no version ${req.params.n}`);
    const previous = [...ctx.store.list()].find((x) => x.version < n);
    const { doc, ...meta } = v;
    return {
      version: meta,
      doc: redactDoc(doc),
      diffFromPrevious: previous ? diffConfig(ctx.store.get(previous.version)!.doc, doc) : [],
      diffFromCurrent: diffConfig(ctx.store.current().doc, doc),
    };
  });

  app.post<{ Body: { version?: unknown; reason?: unknown } }>(
    '/api/ui/config/rollback',
    { preHandler: guard(ctx, 'admin', 'config.rollback') },
    async (req, reply) => {
      const n = Number(req.body?.version);
      const before = ctx.store.current().doc;
      const r = ctx.store.rollback(n, who(req), String(req.body?.reason ?? ''));
      if (!r.ok) {
        ctx.audit.append({ who: who(req), address: req.ip, action: 'config.rollback', target: `version ${n}`, outcome: 'refused', diff: r.problems });
        return refuse(reply, 400, 'E_UI_INVALID', r.problems.map((p) => `${p.path}: ${p.message}`).join('; '), { problems: r.problems });
      }
      ctx.audit.append({
        who: who(req),
        address: req.ip,
        action: 'config.rollback',
        target: `version ${n}`,
        outcome: 'ok',
        diff: diffConfig(before, ctx.store.get(n)!.doc),
      });
      return reply.code(202).send({ version: r.version });
    },
  );

  /** The broker password: write-only, stored encrypted, referenced from the configuration. */
  app.put<{ Body: { value?: unknown; reason?: unknown } }>(
    '/api/ui/config/platform-password',
    { preHandler: guard(ctx, 'admin', 'secret.set') },
    async (req, reply) => {
      const value = req.body?.value;
      if (typeof value !== 'string' || value.length === 0 || value.length > 1024)
        return refuse(reply, 400, 'E_UI_INVALID', 'value: the password, 1..1024 characters', { field: 'value' });
      const current = ctx.store.current();
      const next = structuredClone(current.doc) as { platform?: Record<string, unknown> };
      const sealed = sealSecrets({ password: { $secret: value } }, ['platform']);
      next.platform = { ...(next.platform ?? {}), ...(sealed.doc as Record<string, unknown>) };
      const r = ctx.store.propose(next as Record<string, unknown>, {
        by: who(req),
        reason: String(req.body?.reason ?? '') || 'broker password changed',
        source: 'ui',
      });
      if (!r.ok) return refuse(reply, 400, 'E_UI_INVALID', 'the configuration is not valid', { problems: r.problems });
      commitSecrets(ctx.secrets, sealed.pending);
      ctx.audit.append({
        who: who(req),
        address: req.ip,
        action: 'secret.set',
        target: 'platform.password',
        outcome: 'ok',
        diff: [{ path: 'platform.password', kind: 'changed', before: '[redacted]', after: '[redacted]' }],
      });
      return reply.code(202).send({ version: r.version });
    },
  );
}
