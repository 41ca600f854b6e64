import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';

/**
 * The pull-point addresses gridgate holds on each device, remembered across restarts so that a
 * gateway killed without Unsubscribe can release them on its next start (cameras have 2-8
 * pull-point slots; a crash loop would otherwise exhaust them until each expires).
 */
export interface SubscriptionLedger {
  /** Addresses recorded for `device` by this or a previous run. */
  held(device: string): string[];
  /** Replaces the addresses recorded for `device` (empty: forget the device). */
  record(device: string, addresses: readonly string[]): void;
}

/** A ledger that lives only as long as the process (tests, or no data directory). */
export class MemoryLedger implements SubscriptionLedger {
  private readonly map = new Map<string, string[]>();
  held(device: string): string[] {
    return [...(this.map.get(device) ?? [])];
  }
  record(device: string, addresses: readonly string[]): void {
    if (addresses.length) this.map.set(device, [...addresses]);
    else this.map.delete(device);
  }
}

/**
 * A small JSON file (`{ "<device>": ["http://.../subscription/7"] }`), rewritten through a temp
 * file and rename so a crash leaves the old or the new version, never half of one. It changes only
 * when a subscription is created or released (a few times a day per camera), so a whole-file
 * write is cheap; no fsync: losing the last change on power loss costs at most one slot until the
 * camera expires it (its termination time, ≤ events.terminationMs).
 */
export class FileLedger implements SubscriptionLedger {
  private readonly map = new Map<string, string[]>();

  constructor(
    private readonly file: string,
    private readonly log: Logger,
  ) {
    try {
      const doc = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      if (doc && typeof doc === 'object' && !Array.isArray(doc)) {
        for (const [device, list] of Object.entries(doc)) {
          if (Array.isArray(list)) this.map.set(device, list.filter((a): a is string => typeof a === 'string' && a.length < 2048).slice(0, 16));
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ err, file }, 'subscription ledger unreadable; starting with an empty one');
    }
  }

  held(device: string): string[] {
    return [...(this.map.get(device) ?? [])];
  }

  record(device: string, addresses: readonly string[]): void {
    const before = JSON.stringify(this.map.get(device) ?? []);
    if (addresses.length) this.map.set(device, [...addresses]);
    else this.map.delete(device);
    if (JSON.stringify(this.map.get(device) ?? []) === before) return;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.tmp`;
      writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.map)), { mode: 0o600 });
      renameSync(tmp, this.file);
    } catch (err) {
      this.log.warn({ err, file: this.file }, 'subscription ledger could not be written');
    }
  }
}
