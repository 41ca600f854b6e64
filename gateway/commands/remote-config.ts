import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema/gateway-config.js';
import { formatProblem } from '../config/config-problems.js';
import { errorMessage, GatewayError } from '../core/errors.js';
import type { GatewayFacade as Gateway } from '../facade.js';
import type { GatewayExtension } from '../extension.js';
import type { AuditLog } from '../ui/audit-log.js';
import { writeFileAtomic } from '../core/atomic-file.js';
import { diffConfig } from '../ui/config-diff.js';
import type { ConfigStore, VersionSummary } from '../config/config-store.js';
import type { SecretStore } from '../ui/secret-store.js';
import { type ConfigCommandHost, registerConfigCommands } from './config-commands.js';
import { diffSummary } from './config-document.js';

export interface RemoteConfigOptions {
  store: ConfigStore;
  secrets: SecretStore;
  audit: AuditLog;
  /** Where a pending confirmation is kept, so a restart inside the window still rolls back. */
  stateFile: string;
  log: Logger;
  /** How long a changed device may take to come online before it is reported (ms). */
  deviceSettleMs?: number;
}

/** Settings whose change can cut the gateway off from the platform (daemon.ts applies them). */
const CUTTING = ['platform', 'gateway', 'site'] as const;
/** Settings that need a gateway restart (daemon.ts `restartRequired`). */
const RESTARTING = ['gateway', 'site', 'dataDir', 'outbox', 'http', 'log'] as const;

interface PendingConfirmation {
  version: number;
  base: number;
  /** Wall time (ms) the platform must be heard from by: it has to survive a restart, a monotonic clock does not. */
  deadline: number;
  command: string;
}

export interface ChangeOutcome {
  version: VersionSummary;
  devices: Array<{ device: string; status: string; error?: string }>;
}

/**
 * Remote configuration through the contract (docs/operations.md, "Remote configuration"):
 * registers config-get, config-apply, config-rollback and config-confirm in every gateway it is
 * started with, follows each change to its end, reports it as a `vendor.config.changed` event, and
 * rolls a change that touched the platform connection back by itself when the platform is not
 * heard from within `platform.configConfirmMs`.
 */
export class RemoteConfig implements GatewayExtension, ConfigCommandHost {
  readonly name = 'remote-config';
  private gateway: Gateway | undefined;
  private pending: PendingConfirmation | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Versions this extension reports itself (platform, automatic rollback); others are seen by `watch`. */
  private readonly followed = new Set<number>();
  private lastSeen: number | undefined;
  private watcher: NodeJS.Timeout | undefined;

  constructor(readonly o: RemoteConfigOptions) {}

  async start(gateway: Gateway): Promise<void> {
    this.gateway = gateway;
    registerConfigCommands(gateway.commands, this);
    this.lastSeen ??= this.o.store.list().find((v) => v.status === 'applied')?.version;
    if (!this.watcher) {
      // Changes made on site (UI, file + SIGHUP) are reported too; the store has no listener, a cheap look each second does.
      this.watcher = setInterval(() => {
        try {
          this.watch();
        } catch (err) {
          this.o.log.error({ problem: errorMessage(err) }, 'configuration watch failed');
        }
      }, 1000);
      this.watcher.unref();
    }
    if (!this.pending && existsSync(this.o.stateFile)) {
      try {
        const p = JSON.parse(readFileSync(this.o.stateFile, 'utf8')) as PendingConfirmation;
        // Written before the change was applied: if it never became current there is nothing to watch.
        if (this.o.store.current().version === p.version) this.arm(p);
        else if (!this.o.store.list().some((v) => v.version === p.version && (v.status === 'pending' || v.status === 'applying'))) this.disarm();
      } catch (err) {
        this.o.log.error({ err, file: this.o.stateFile }, 'pending configuration confirmation unreadable: ignored');
      }
    }
  }

  async stop(): Promise<void> {
    // A restart for a new configuration comes through here: the confirmation window stays open.
    this.gateway = undefined;
  }

  get store(): ConfigStore {
    return this.o.store;
  }

  get secrets(): SecretStore {
    return this.o.secrets;
  }

  get audit(): AuditLog {
    return this.o.audit;
  }

  /** Any config command from the platform after a cutting change proves the new connection works. */
  heardFromPlatform(command: string): void {
    const p = this.pending;
    if (!p || this.o.store.current().version !== p.version) return;
    this.disarm();
    this.o.log.info({ version: p.version, command }, 'platform heard from after the configuration change: it is kept');
  }

  /** The version the next change must be based on; throws E_CONFIG_BUSY while one is being applied. */
  head(): number {
    const newest = this.o.store.list()[0];
    if (newest && (newest.status === 'pending' || newest.status === 'applying')) {
      throw new GatewayError(
        'E_CONFIG_BUSY',
        `version ${newest.version} is being applied; wait for its vendor.config.changed event, then config-get and try again`,
      );
    }
    return this.o.store.current().version;
  }

  /** Validated configuration of a stored document (for comparing what a change touches). */
  configOf(doc: Record<string, unknown>): Readonly<GatewayConfig> | undefined {
    const r = this.o.store.validate(doc);
    return r.ok ? r.loaded.config : undefined;
  }

  /** What a move from `before` to `after` touches. */
  impact(before: Readonly<GatewayConfig> | undefined, after: Readonly<GatewayConfig>): { cutting: boolean; restart: boolean } {
    const differs = (k: keyof GatewayConfig) => !before || JSON.stringify(before[k]) !== JSON.stringify(after[k]);
    return { cutting: CUTTING.some(differs), restart: RESTARTING.some(differs) };
  }

  /**
   * Follows a proposed version to its end: reports devices that did not come up, raises
   * `vendor.config.changed`, and for a cutting change waits for the platform.
   */
  follow(
    r: { version: VersionSummary; done: Promise<VersionSummary> },
    meta: { base: number; command: string; by: string; before: Record<string, unknown>; after: Record<string, unknown>; cutting: boolean; confirmMs: number },
  ): Promise<ChangeOutcome> {
    this.followed.add(r.version.version);
    // On disk before the change runs: a crash between applying and arming must still roll back.
    if (meta.cutting)
      writeFileAtomic(
        this.o.stateFile,
        `${JSON.stringify({ version: r.version.version, base: meta.base, deadline: Date.now() + meta.confirmMs, command: meta.command })}\n`,
      );
    return r.done.then(async (version) => {
      if (meta.cutting && version.status !== 'applied') this.disarm();
      if (version.status === 'applied') this.lastSeen = version.version;
      const devices = version.status === 'applied' ? await this.deviceProblems(meta.before, meta.after) : [];
      const summary = diffSummary(diffConfig(meta.before, meta.after));
      const applied = version.status === 'applied';
      this.raise({
        severity: applied ? (devices.length ? 'minor' : 'info') : 'major',
        message: applied
          ? `configuration version ${version.version} applied (by ${meta.by}${meta.command ? `, command ${meta.command}` : ''}): ${summary}${devices.length ? `; ${devices.length} device(s) not online: ${devices.map((d) => d.device).join(', ')}` : ''}`
          : `configuration version ${version.version} failed and version ${meta.base} was applied again: ${version.error ?? 'unknown error'}`,
        data: {
          by: meta.by,
          command: meta.command,
          version: version.version,
          previous: meta.base,
          status: version.status,
          source: version.source,
          summary,
          devices,
          ...(version.error ? { error: version.error } : {}),
        },
      });
      if (applied && meta.cutting) this.arm({ version: version.version, base: meta.base, deadline: Date.now() + meta.confirmMs, command: meta.command });
      return { version, devices };
    });
  }

  private watch(): void {
    const store = this.o.store;
    const current = store.current();
    const previous = this.lastSeen;
    if (current.version === previous || current.status !== 'applied') return;
    this.lastSeen = current.version;
    if (this.followed.has(current.version) || previous === undefined) return;
    const before = store.get(previous);
    const summary = diffSummary(diffConfig(before?.doc ?? {}, current.doc));
    this.raise({
      severity: 'info',
      message: `configuration version ${current.version} applied (by ${current.by}, ${current.source}): ${summary}`,
      data: { by: current.by, source: current.source, version: current.version, previous, status: 'applied', summary, reason: current.reason },
    });
  }

  private arm(p: PendingConfirmation): void {
    // Replaced in place (atomic rename): the file never disappears in between.
    clearTimeout(this.timer);
    this.pending = p;
    writeFileAtomic(this.o.stateFile, `${JSON.stringify(p)}\n`);
    const wait = Math.max(0, p.deadline - Date.now());
    this.o.log.warn({ version: p.version, waitMs: wait }, 'configuration changed the platform connection: waiting to hear from the platform');
    this.timer = setTimeout(() => {
      try {
        this.rollBack(p);
      } catch (err) {
        this.o.log.fatal({ problem: errorMessage(err), version: p.version }, 'automatic configuration rollback failed');
      }
    }, wait);
    this.timer.unref();
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    rmSync(this.o.stateFile, { force: true });
  }

  private rollBack(p: PendingConfirmation): void {
    this.disarm();
    const store = this.o.store;
    const current = store.current();
    const base = store.get(p.base);
    if (current.version !== p.version || !base) return;
    const reason = `no word from the platform within the confirmation time after version ${p.version} (command ${p.command}) changed the platform connection: automatic rollback to version ${p.base}`;
    this.o.log.error({ version: p.version, base: p.base }, 'platform not heard from after a configuration change: rolling back');
    const r = store.propose(base.doc, { by: 'gridgate', reason, source: 'auto-rollback', restores: p.base });
    if (!r.ok) {
      this.o.log.fatal({ problems: r.problems.map(formatProblem) }, 'automatic rollback refused: the earlier version no longer validates');
      return;
    }
    this.o.audit.append({
      who: 'gridgate',
      action: 'config.auto-rollback',
      target: `version ${r.version.version}`,
      outcome: 'ok',
      reason,
      diff: diffConfig(current.doc, base.doc),
    });
    void this.follow(r, { base: p.version, command: p.command, by: 'gridgate', before: current.doc, after: base.doc, cutting: false, confirmMs: 0 }).then(
      (o) =>
        this.raise({
          severity: 'major',
          message: reason,
          data: { by: 'gridgate', command: p.command, version: o.version.version, previous: p.version, restores: p.base, status: 'rolled-back', reason },
        }),
      (err: unknown) => this.o.log.error({ err }, 'automatic rollback failed'),
    );
  }

  /** Devices added or changed by the version that are not online after a short settling time. */
  private async deviceProblems(before: Record<string, unknown>, after: Record<string, unknown>): Promise<ChangeOutcome['devices']> {
    const ids = new Set(
      diffConfig(before, after)
        .map((d) => /^devices\[id=([^\]]+)\]/.exec(d.path)?.[1])
        .filter((id): id is string => Boolean(id)),
    );
    const wanted = ((after.devices as Array<{ id: string; enabled?: boolean }> | undefined) ?? [])
      .filter((d) => ids.has(d.id) && d.enabled !== false)
      .map((d) => d.id);
    if (wanted.length === 0) return [];
    const settleUntil = performance.now() + (this.o.deviceSettleMs ?? 5000);
    const notUp = () => (this.gateway?.deviceStates() ?? []).filter((s) => wanted.includes(s.device) && s.status !== 'online');
    while (notUp().some((s) => s.status !== 'error') && performance.now() < settleUntil) await new Promise((r) => setTimeout(r, 100));
    return notUp().map((s) => ({ device: s.device, status: s.status, ...(s.error ? { error: s.error } : {}) }));
  }

  private raise(e: { severity: 'info' | 'minor' | 'major'; message: string; data: Record<string, unknown> }): void {
    const gateway = this.gateway;
    if (!gateway) {
      this.o.log.warn({ data: e.data }, 'configuration change not reported: the gateway is restarting');
      return;
    }
    try {
      gateway.raiseEvent({ type: 'vendor.config.changed', state: 'pulse', severity: e.severity, source: {}, message: e.message, data: e.data });
    } catch (err) {
      this.o.log.error({ problem: errorMessage(err) }, 'vendor.config.changed not raised');
    }
  }
}
