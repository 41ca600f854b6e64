import { z } from 'zod';
import { formatProblem } from '../config/config-problems.js';
import { GatewayError } from '../core/errors.js';
import { diffConfig } from '../ui/config-diff.js';
import type { VersionSummary } from '../config/config-store.js';
import { redactDoc } from '../ui/redact.js';
import { commitSecrets, sealSecrets } from '../ui/sealed-secrets.js';
import type { CommandDispatcher } from './command-dispatcher.js';
import { assertSafeKeys, diffSummary, documentHash, keepRedacted, mergePatch } from './config-document.js';
import type { GatewayConfig } from '../config/schema/gateway-config.js';
import type { ConfigStore } from '../config/config-store.js';
import type { AuditLog } from '../ui/audit-log.js';
import type { SecretStore } from '../ui/secret-store.js';

/** How long config-apply waits for a change that cannot cut the gateway off (the dispatcher gives a command 30 s). */
const ANSWER_WITHIN_MS = 20_000;

const versionSchema = z.number().int().min(1);
const docSchema = z.record(z.string(), z.unknown());

/**
 * What the config-* commands need of remote configuration. RemoteConfig (remote-config.ts)
 * implements it; the interface lives here so the two files do not import each other.
 */
export interface ConfigCommandHost {
  readonly store: ConfigStore;
  readonly secrets: SecretStore;
  readonly audit: AuditLog;
  heardFromPlatform(command: string): void;
  head(): number;
  configOf(doc: Record<string, unknown>): Readonly<GatewayConfig> | undefined;
  impact(before: Readonly<GatewayConfig> | undefined, after: Readonly<GatewayConfig>): { cutting: boolean; restart: boolean };
  follow(
    r: { version: VersionSummary; done: Promise<VersionSummary> },
    meta: { base: number; command: string; by: string; before: Record<string, unknown>; after: Record<string, unknown>; cutting: boolean; confirmMs: number },
  ): Promise<{ version: VersionSummary; devices: Array<{ device: string; status: string; error?: string }> }>;
}

/** The remote configuration commands (docs/operations.md, "Remote configuration"). */
export function registerConfigCommands(dispatcher: CommandDispatcher, remote: ConfigCommandHost): void {
  const { store } = remote;

  dispatcher.register('config-get', {
    args: z.strictObject({ version: versionSchema.optional() }),
    run: async (args, meta) => {
      remote.heardFromPlatform(meta.id);
      const v = args.version === undefined ? store.current() : store.get(args.version);
      if (!v) throw new GatewayError('E_BAD_ARGS', `args.version: there is no version ${args.version}`);
      const { doc, ...version } = v;
      const redacted = redactDoc(doc);
      return { version, current: store.current().version, hash: documentHash(redacted), doc: redacted, secrets: remote.secrets.list().map((s) => s.env) };
    },
  });

  dispatcher.register('config-apply', {
    args: z
      .strictObject({ baseVersion: versionSchema, doc: docSchema.optional(), patch: docSchema.optional(), reason: z.string().max(500).optional() })
      .refine((a) => (a.doc === undefined) !== (a.patch === undefined), {
        message: 'give either doc (the whole document) or patch (RFC 7386 merge patch), not both',
      }),
    run: async (args, meta) => {
      remote.heardFromPlatform(meta.id);
      assertSafeKeys(args.doc ?? args.patch, args.doc ? 'args.doc' : 'args.patch');
      const current = checkBase(remote, args.baseVersion);
      const raw = args.doc ?? mergePatch(current.doc, args.patch);
      const kept = keepRedacted(raw, current.doc);
      if (kept.missing.length)
        refuse(
          remote,
          meta.id,
          'config.apply',
          kept.missing.map((p) => `${p}: is [redacted] but the current document has no value there to keep`),
        );
      // Write-only values ({ "$secret": "…" }) become references to the encrypted store, as in the UI.
      const sealed = sealSecrets(kept.doc, ['cfg']);
      const doc = sealed.doc as Record<string, unknown>;
      const checked = store.validate(doc);
      if (!checked.ok) refuse(remote, meta.id, 'config.apply', checked.problems.map(formatProblem));
      const diff = diffConfig(current.doc, doc);
      if (diff.length === 0) return { version: current.version, status: 'unchanged', changes: 'no change' };
      const r = store.propose(doc, { by: 'platform', reason: `command ${meta.id}${args.reason ? `: ${args.reason}` : ''}`, source: 'platform' });
      if (!r.ok) refuse(remote, meta.id, 'config.apply', r.problems.map(formatProblem));
      commitSecrets(remote.secrets, sealed.pending);
      remote.audit.append({
        who: 'platform',
        action: 'config.apply',
        target: `version ${r.version.version}`,
        outcome: 'ok',
        reason: `command ${meta.id}${args.reason ? `: ${args.reason}` : ''}`,
        diff,
      });
      return answer(remote, r, { base: current.version, command: meta.id, before: current.doc, after: doc, next: checked.loaded.config });
    },
  });

  dispatcher.register('config-rollback', {
    args: z.strictObject({ version: versionSchema, baseVersion: versionSchema.optional(), reason: z.string().max(500).optional() }),
    run: async (args, meta) => {
      remote.heardFromPlatform(meta.id);
      const current = args.baseVersion === undefined ? store.get(remote.head())! : checkBase(remote, args.baseVersion);
      const target = store.get(args.version);
      if (!target) throw new GatewayError('E_BAD_ARGS', `args.version: there is no version ${args.version}`);
      const checked = store.validate(target.doc);
      if (!checked.ok) refuse(remote, meta.id, 'config.rollback', checked.problems.map(formatProblem));
      const reason = `command ${meta.id}: ${args.reason ?? `rollback to version ${args.version}`}`;
      const r = store.propose(target.doc, { by: 'platform', reason, source: 'rollback', restores: args.version });
      if (!r.ok) refuse(remote, meta.id, 'config.rollback', r.problems.map(formatProblem));
      remote.audit.append({
        who: 'platform',
        action: 'config.rollback',
        target: `version ${args.version}`,
        outcome: 'ok',
        reason,
        diff: diffConfig(current.doc, target.doc),
      });
      return answer(remote, r, { base: current.version, command: meta.id, before: current.doc, after: target.doc, next: checked.loaded.config });
    },
  });

  dispatcher.register('config-confirm', {
    args: z.strictObject({ version: versionSchema.optional() }),
    run: async (_args, meta) => {
      remote.heardFromPlatform(meta.id);
      return { version: store.current().version };
    },
  });
}

function checkBase(remote: ConfigCommandHost, base: number) {
  const head = remote.head();
  if (base !== head) {
    const h = remote.store.get(head)!;
    throw new GatewayError(
      'E_CONFIG_STALE',
      `baseVersion ${base} is not the current version ${head} (made by ${h.by} at ${h.at}): config-get, make the change again on version ${head} and send it with baseVersion ${head}`,
    );
  }
  return remote.store.get(head)!;
}

/** Refuses with the validation problems in the words check-config uses; audited. */
function refuse(remote: ConfigCommandHost, command: string, action: string, problems: string[]): never {
  remote.audit.append({ who: 'platform', action, outcome: 'refused', reason: `command ${command}: invalid configuration`, diff: problems });
  throw new GatewayError('E_CONFIG_INVALID', `${problems.length} problem${problems.length > 1 ? 's' : ''}: ${problems.join('; ')}`);
}

/**
 * A change that may cut the gateway off, or that restarts it, is answered at once (the answer
 * goes out before the connection changes); the outcome follows as `vendor.config.changed`.
 * Any other change is answered with its outcome, devices that did not come up included.
 */
async function answer(
  remote: ConfigCommandHost,
  r: { version: VersionSummary; done: Promise<VersionSummary> },
  m: { base: number; command: string; before: Record<string, unknown>; after: Record<string, unknown>; next: Readonly<GatewayConfig> },
): Promise<Record<string, unknown>> {
  const impact = remote.impact(remote.configOf(m.before), m.next);
  const changes = diffSummary(diffConfig(m.before, m.after));
  const confirmMs = m.next.platform.configConfirmMs;
  const outcome = remote.follow(r, { base: m.base, command: m.command, by: 'platform', before: m.before, after: m.after, cutting: impact.cutting, confirmMs });
  outcome.catch(() => {});
  if (impact.cutting || impact.restart) {
    return {
      version: r.version.version,
      previous: m.base,
      status: 'applying',
      changes,
      ...(impact.cutting ? { confirmWithinMs: confirmMs, confirmBy: 'config-confirm (or any config-* command with a new id) over the new connection' } : {}),
      restart: impact.restart,
    };
  }
  const settled = await Promise.race([outcome, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ANSWER_WITHIN_MS).unref())]);
  if (!settled) return { version: r.version.version, previous: m.base, status: 'applying', changes };
  if (settled.version.status !== 'applied')
    throw new GatewayError(
      'E_CONFIG_FAILED',
      `version ${settled.version.version} failed to apply, version ${m.base} is in force again: ${settled.version.error ?? 'unknown error'}`,
    );
  return { version: settled.version.version, previous: m.base, status: 'applied', changes, applied: settled.version.applied, devices: settled.devices };
}
