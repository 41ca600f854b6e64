import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';

/**
 * The pull-point addresses gridgate holds on each device, remembered across restarts so that a
 * gateway killed without Unsubscribe can take up the one it was pulling (and collect what the
 * camera queued meanwhile) and release the others on its next start (cameras have 2-8 pull-point
 * slots; a crash loop would otherwise exhaust them until each expires).
 */
export interface SubscriptionLedger {
  /** Outlives the process: only then is a pull-point kept at stop for the next run. */
  readonly durable: boolean;
  /** Addresses recorded for `device` by this or a previous run. */
  held(device: string): string[];
  /** Of those, the one that was being pulled (working) when recorded; undefined if none was. */
  current(device: string): string | undefined;
  /** Replaces the addresses recorded for `device` (empty: forget the device) and which one is in use. */
  record(device: string, addresses: readonly string[], current?: string): void;
}

/** Key of the file's map of current addresses: `@` is not allowed in a device id. */
const CURRENT_KEY = '@current';

/** A ledger that lives only as long as the process (tests, or no data directory). */
export class MemoryLedger implements SubscriptionLedger {
  readonly durable = false;
  private readonly map = new Map<string, string[]>();
  private readonly inUse = new Map<string, string>();
  held(device: string): string[] {
    return [...(this.map.get(device) ?? [])];
  }
  current(device: string): string | undefined {
    return this.inUse.get(device);
  }
  record(device: string, addresses: readonly string[], current?: string): void {
    if (addresses.length) this.map.set(device, [...addresses]);
    else this.map.delete(device);
    if (current && addresses.includes(current)) this.inUse.set(device, current);
    else this.inUse.delete(device);
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
  readonly durable = true;
  private readonly map = new Map<string, string[]>();
  private readonly inUse = new Map<string, string>();

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
        // Written since the ledger remembers the address in use; an older file has none (all released).
        const inUse = (doc as Record<string, unknown>)[CURRENT_KEY];
        if (inUse && typeof inUse === 'object')
          for (const [device, a] of Object.entries(inUse)) if (typeof a === 'string' && this.map.get(device)?.includes(a)) this.inUse.set(device, a);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ err, file }, 'subscription ledger unreadable; starting with an empty one');
    }
  }

  held(device: string): string[] {
    return [...(this.map.get(device) ?? [])];
  }

  current(device: string): string | undefined {
    return this.inUse.get(device);
  }

  record(device: string, addresses: readonly string[], current?: string): void {
    const before = JSON.stringify([this.map.get(device) ?? [], this.inUse.get(device)]);
    if (addresses.length) this.map.set(device, [...addresses]);
    else this.map.delete(device);
    if (current && addresses.includes(current)) this.inUse.set(device, current);
    else this.inUse.delete(device);
    if (JSON.stringify([this.map.get(device) ?? [], this.inUse.get(device)]) === before) return;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.tmp`;
      const doc = this.inUse.size ? { ...Object.fromEntries(this.map), [CURRENT_KEY]: Object.fromEntries(this.inUse) } : Object.fromEntries(this.map);
      writeFileSync(tmp, JSON.stringify(doc), { mode: 0o600 });
      renameSync(tmp, this.file);
    } catch (err) {
      this.log.warn({ err, file: this.file }, 'subscription ledger could not be written');
    }
  }
}
