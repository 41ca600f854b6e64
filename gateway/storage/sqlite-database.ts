import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { GatewayError } from '../core/errors.js';

/** 2: readings rows carry `n`, the number of readings in the row (a row is a run of readings). */
const SCHEMA_VERSION = 2;

const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  ts_ms INTEGER NOT NULL,
  payload TEXT NOT NULL,
  snapshot BLOB
);
-- AUTOINCREMENT: row numbers are never reused after the table empties, because batches and
-- the 'waiting for a batch' mark are ranges of row numbers.
-- A row holds a run of up to a poll's readings: payload is their contract JSON objects joined
-- by commas (a fragment of the telemetry message's readings array), n how many they are.
CREATE TABLE IF NOT EXISTS readings (
  row INTEGER PRIMARY KEY AUTOINCREMENT,
  ts_ms INTEGER NOT NULL,
  payload TEXT NOT NULL,
  n INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS batches (
  seq INTEGER PRIMARY KEY,
  first_row INTEGER NOT NULL,
  last_row INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS command_results (id TEXT PRIMARY KEY, at_ms INTEGER NOT NULL, result TEXT NOT NULL) WITHOUT ROWID;
-- Events taken from a device but not yet in the events table (waiting for a picture): see
-- sqlite-held-events.ts. The outbox deletes a row in the commit that stores its event.
CREATE TABLE IF NOT EXISTS held_events (id INTEGER PRIMARY KEY, stage TEXT NOT NULL, held_ms INTEGER NOT NULL, body TEXT NOT NULL);
`;

export interface OpenedDatabase {
  db: Database.Database;
  /** Set when a corrupt file was found and moved aside. */
  movedAside?: { path: string; reason: string };
}

/**
 * Opens (or creates) the gateway's SQLite file in WAL mode. A file that SQLite cannot read, or
 * that fails `quick_check`, is renamed `*.corrupt-<time>` (with its -wal and -shm) and replaced
 * by a fresh one; the caller reports it.
 */
export function openGatewayDatabase(path: string, synchronous: 'FULL' | 'NORMAL', log: Logger, now = Date.now()): OpenedDatabase {
  mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
  try {
    return { db: openChecked(path, synchronous) };
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (!(err instanceof CorruptDatabase) && !/SQLITE_(NOTADB|CORRUPT)/.test(code)) {
      throw new GatewayError('E_OUTBOX_OPEN', `outbox database ${path} cannot be opened: ${(err as Error).message}`, { cause: err });
    }
    const aside = `${path}.corrupt-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
    }
    const reason = (err as Error).message;
    log.error({ path, movedTo: aside, reason }, 'outbox database corrupt: moved aside, starting a new one');
    return { db: openChecked(path, synchronous), movedAside: { path: aside, reason } };
  }
}

/** The connection's page cache limit, KiB. */
export const PAGE_CACHE_KIB = 2048;

class CorruptDatabase extends Error {}

function openChecked(path: string, synchronous: 'FULL' | 'NORMAL'): Database.Database {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    // FULL: each commit is fsynced to the WAL, so a power loss keeps every committed row.
    db.pragma(`synchronous = ${synchronous}`);
    db.pragma('busy_timeout = 5000');
    // Deleted pages are reused by later appends; incremental vacuum returns them to the disk after a long outage.
    db.pragma('auto_vacuum = INCREMENTAL');
    // After a checkpoint the WAL file is cut back to this size instead of staying at its peak.
    db.pragma('journal_size_limit = 16777216');
    // A fixed 2 MiB page cache (SQLite's own default). better-sqlite3 is built with 16 MiB, which
    // fills slowly as an outage grows the file and the start-up quick_check reads it: the soak saw
    // RSS climb ~16 MB over hours from that alone. The outbox reads and writes at the two ends of
    // its tables, so a small cache holds its working set (bench:outbox shows no loss).
    db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
    const check = db.pragma('quick_check(1)', { simple: true });
    if (check !== 'ok') throw new CorruptDatabase(`quick_check: ${String(check)}`);
    db.exec(DDL);
    const version = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get('schema_version') as number | undefined;
    if (version === undefined) db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema_version', SCHEMA_VERSION);
    else if (version < 2) {
      // Version 1 rows hold one reading each: the default n = 1 is right for them.
      const columns = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('readings') as string[];
      db.transaction(() => {
        if (!columns.includes('n')) db.exec('ALTER TABLE readings ADD COLUMN n INTEGER NOT NULL DEFAULT 1');
        db.prepare('UPDATE meta SET value = ? WHERE key = ?').run(SCHEMA_VERSION, 'schema_version');
      })();
    } else if (version > SCHEMA_VERSION) {
      throw new GatewayError('E_OUTBOX_OPEN', `outbox database ${path} has schema version ${version}, newer than this gridgate (${SCHEMA_VERSION})`);
    }
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
