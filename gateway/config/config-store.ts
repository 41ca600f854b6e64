import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { GatewayConfig } from './schema/gateway-config.js';
import type { ConfigProblem } from './config-problems.js';
import { validateConfig } from './load-config.js';
import { errorMessage } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic-file.js';

export type VersionSource = 'import' | 'ui' | 'rollback' | 'shell' | 'auto-rollback' | 'platform';
export type VersionStatus = 'pending' | 'applying' | 'applied' | 'failed' | 'superseded';

/** One saved configuration: the raw document (as written, before env overrides) and who made it. */
export interface ConfigVersion {
  version: number;
  at: string;
  by: string;
  reason: string;
  source: VersionSource;
  /** For a rollback: the version whose document was restored. */
  restores?: number;
  status: VersionStatus;
  /** Why applying failed, in words. */
  error?: string;
  /** What applying changed, and settings that only take effect after a restart of the daemon. */
  applied?: ApplyReport;
  doc: Record<string, unknown>;
}

export type VersionSummary = Omit<ConfigVersion, 'doc'>;

export interface ApplyReport {
  changed: string[];
  restartRequired: string[];
}

export interface ConfigStoreOptions {
  /** Folder of the store (`versions/000001.json`, `current.json`). */
  dir: string;
  /** Folder relative paths in the documents are resolved against. */
  baseDir: string;
  env?: NodeJS.ProcessEnv | (() => NodeJS.ProcessEnv);
  /** Makes the running gateway use a configuration; rejects when it cannot (then the store rolls back). */
  apply: (next: Readonly<GatewayConfig>) => Promise<ApplyReport | undefined>;
  log: Logger;
  now?: () => number;
}

export type ProposeResult = { ok: true; version: VersionSummary; done: Promise<VersionSummary> } | { ok: false; problems: ConfigProblem[] };

/**
 * The running configuration as one versioned document: the single source of truth for the UI
 * and the daemon. Each version is its own file, written atomically and durably; `current.json`
 * names the version in use. Changes are applied one at a time; a change that fails to apply is
 * recorded as failed and the previous version is applied again by itself.
 */
export class ConfigStore {
  private readonly versions = new Map<number, ConfigVersion>();
  private currentVersion = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: ConfigStoreOptions) {}

  /** Reads the store; on first start imports `initial` (the installer's file) as version 1. */
  open(initial?: { doc: Record<string, unknown>; by: string; reason: string }): void {
    mkdirSync(join(this.o.dir, 'versions'), { recursive: true, mode: 0o700 });
    for (const name of readdirSync(join(this.o.dir, 'versions'))) {
      if (!/^\d{6}\.json$/.test(name)) continue;
      const v = JSON.parse(readFileSync(join(this.o.dir, 'versions', name), 'utf8')) as ConfigVersion;
      // A crash between "pending" and "applied" leaves a version that never ran.
      if (v.status === 'pending' || v.status === 'applying') v.status = 'failed';
      this.versions.set(v.version, v);
    }
    const pointer = join(this.o.dir, 'current.json');
    if (existsSync(pointer)) this.currentVersion = (JSON.parse(readFileSync(pointer, 'utf8')) as { version: number }).version;
    if (this.currentVersion === 0 && initial) {
      const v = this.write({ version: 1, at: this.iso(), by: initial.by, reason: initial.reason, source: 'import', status: 'applied', doc: initial.doc });
      this.setCurrent(v.version);
    }
  }

  /** The version the gateway runs. */
  current(): ConfigVersion {
    const v = this.versions.get(this.currentVersion);
    if (!v) throw new Error('configuration store is empty: nothing was imported');
    return v;
  }

  get(version: number): ConfigVersion | undefined {
    return this.versions.get(version);
  }

  /** Newest first. */
  list(): VersionSummary[] {
    return [...this.versions.values()].sort((a, b) => b.version - a.version).map(({ doc: _doc, ...rest }) => rest);
  }

  /** Validates a document the way the daemon will (environment overrides, profiles, paths). */
  validate(doc: unknown) {
    const env = typeof this.o.env === 'function' ? this.o.env() : this.o.env;
    return validateConfig(structuredClone(doc), { baseDir: this.o.baseDir, env: env ?? {} });
  }

  /**
   * Saves a new version and applies it (queued behind any change being applied). Returns at once
   * with the saved version; `done` settles when it is applied, or failed and rolled back.
   */
  propose(doc: Record<string, unknown>, meta: { by: string; reason: string; source: VersionSource; restores?: number }): ProposeResult {
    const checked = this.validate(doc);
    if (!checked.ok) return { ok: false, problems: checked.problems };
    const number = Math.max(0, ...this.versions.keys()) + 1;
    const saved = this.write({
      version: number,
      at: this.iso(),
      by: meta.by,
      reason: meta.reason,
      source: meta.source,
      restores: meta.restores,
      status: 'pending',
      doc: structuredClone(doc),
    });
    const done = this.queue.then(() => this.applyVersion(saved.version));
    this.queue = done.catch(() => undefined);
    return { ok: true, version: summary(saved), done };
  }

  /** Restores an earlier version's document as a new version. */
  rollback(version: number, by: string, reason: string): ProposeResult {
    const old = this.versions.get(version);
    if (!old) return { ok: false, problems: [{ path: 'version', message: `there is no version ${version}` }] };
    return this.propose(old.doc, { by, reason: reason || `rollback to version ${version}`, source: 'rollback', restores: version });
  }

  /** Resolves when no change is being applied. */
  idle(): Promise<void> {
    return this.queue.then(() => undefined);
  }

  private async applyVersion(number: number): Promise<VersionSummary> {
    const v = this.versions.get(number)!;
    const checked = this.validate(v.doc);
    const previous = this.versions.get(this.currentVersion);
    this.write({ ...v, status: 'applying' });
    try {
      if (!checked.ok) throw new Error(checked.problems.map((p) => `${p.path}: ${p.message}`).join('; '));
      const report = (await this.o.apply(checked.loaded.config)) ?? undefined;
      this.setCurrent(number);
      if (previous && previous.status === 'applied') this.write({ ...previous, status: 'superseded' });
      return summary(this.write({ ...this.versions.get(number)!, status: 'applied', applied: report }));
    } catch (err) {
      const error = errorMessage(err);
      this.o.log.error({ version: number, error }, 'configuration change failed to apply: rolling back');
      const failed = this.write({ ...this.versions.get(number)!, status: 'failed', error });
      if (previous) {
        const back = this.validate(previous.doc);
        try {
          if (!back.ok) throw new Error('the previous version no longer validates');
          await this.o.apply(back.loaded.config);
          this.o.log.warn({ version: previous.version }, 'previous configuration applied again');
        } catch (rollbackErr) {
          this.o.log.fatal({ version: previous.version, error: errorMessage(rollbackErr) }, 'rolling back the configuration failed too');
        }
      }
      return summary(failed);
    }
  }

  private write(v: ConfigVersion): ConfigVersion {
    const clean = JSON.parse(JSON.stringify(v)) as ConfigVersion;
    writeFileAtomic(join(this.o.dir, 'versions', `${String(v.version).padStart(6, '0')}.json`), `${JSON.stringify(clean, null, 2)}\n`);
    this.versions.set(v.version, clean);
    return clean;
  }

  private setCurrent(version: number): void {
    writeFileAtomic(join(this.o.dir, 'current.json'), `${JSON.stringify({ version })}\n`);
    this.currentVersion = version;
  }

  private iso(): string {
    return new Date((this.o.now ?? Date.now)()).toISOString();
  }
}

function summary(v: ConfigVersion): VersionSummary {
  const { doc: _doc, ...rest } = v;
  return rest;
}
