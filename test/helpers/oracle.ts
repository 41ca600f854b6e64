import { existsSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { PlatformRecorder } from './platform.js';

/** What the gateway accepted: already at the platform, or waiting in its outbox. */
export class AcceptedSet {
  readonly readings = new Set<string>();
  readonly events = new Set<string>();

  /** Adds what the outbox database holds now (readable while the gateway runs or after a kill). */
  addOutbox(dbPath: string): void {
    if (!existsSync(dbPath)) return;
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      // A row holds a run of readings: their JSON objects joined by commas (outbox schema 2).
      for (const payload of db.prepare('SELECT payload FROM readings').pluck().all() as string[]) {
        for (const r of JSON.parse(`[${payload}]`) as Array<{ id: string }>) this.readings.add(r.id);
      }
      for (const id of db.prepare('SELECT id FROM events').pluck().all() as string[]) this.events.add(id);
    } finally {
      db.close();
    }
  }

  addReceived(platform: PlatformRecorder): void {
    for (const r of platform.readings()) this.readings.add(r.id);
    for (const e of platform.events()) this.events.add(e.id);
  }
}

export interface Verdict {
  lostReadings: number;
  lostEvents: number;
  duplicateReadings: number;
  duplicateEvents: number;
  /** seq values missing per lane (a gap is allowed only with a data_dropped event). */
  gaps: { telemetry: number[]; event: number[] };
  received: { readings: number; events: number };
}

/** The platform-side oracle: no loss, seq per lane without gaps, duplicates counted. */
export function judge(platform: PlatformRecorder, accepted: AcceptedSet): Verdict {
  const readings = platform.readings().map((r) => r.id as string);
  const events = platform.events().map((e) => e.id as string);
  const gotReadings = new Set(readings);
  const gotEvents = new Set(events);
  const gaps = (kind: 'telemetry' | 'event') => {
    const seqs = [...new Set(platform.of(kind).map((m) => m.doc.seq as number))].sort((a, b) => a - b);
    const missing: number[] = [];
    for (let s = 1; s <= (seqs.at(-1) ?? 0); s++) if (!seqs.includes(s)) missing.push(s);
    return missing;
  };
  return {
    lostReadings: [...accepted.readings].filter((id) => !gotReadings.has(id)).length,
    lostEvents: [...accepted.events].filter((id) => !gotEvents.has(id)).length,
    duplicateReadings: readings.length - gotReadings.size,
    duplicateEvents: events.length - gotEvents.size,
    gaps: { telemetry: gaps('telemetry'), event: gaps('event') },
    received: { readings: gotReadings.size, events: gotEvents.size },
  };
}

/** Resident memory of a process, in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}
