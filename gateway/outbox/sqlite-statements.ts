import type Database from 'better-sqlite3';

/** Sizes are UTF-8 bytes on both sides (JS Buffer.byteLength, SQLite length of the text as a blob). */
export const BYTES = 'length(CAST(payload AS BLOB))';
export const EVENT_BYTES = `${BYTES} + coalesce(length(snapshot), 0)`;

/** Rows per multi-row INSERT (3 parameters each; SQLite allows 32,766 parameters). */
export const INSERT_ROWS = 100;

export type OutboxStatements = ReturnType<typeof prepare>;

/** The outbox's prepared statements, made once per database. */
export function prepare(db: Database.Database) {
  return {
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
    setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
    insertEvent: db.prepare('INSERT INTO events (seq, id, ts_ms, payload, snapshot) VALUES (?, ?, ?, ?, ?)'),
    releaseHeld: db.prepare('DELETE FROM held_events WHERE id = ?'),
    readEvents: db.prepare('SELECT seq, id, payload, snapshot FROM events WHERE seq > ? ORDER BY seq LIMIT ?'),
    deleteEvent: db.prepare(`DELETE FROM events WHERE seq = ? RETURNING ${EVENT_BYTES} AS n`),
    dropOldestEvent: db.prepare(`DELETE FROM events WHERE seq = (SELECT min(seq) FROM events) RETURNING ts_ms, ${EVENT_BYTES} AS n`),
    oldestEvent: db.prepare('SELECT ts_ms FROM events ORDER BY seq LIMIT 1'),
    insertReading: db.prepare('INSERT INTO readings (ts_ms, payload, n) VALUES (?, ?, ?)'),
    insertManyReadings: db.prepare(`INSERT INTO readings (ts_ms, payload, n) VALUES ${Array(INSERT_ROWS).fill('(?, ?, ?)').join(', ')}`),
    readUnbatched: db.prepare('SELECT row, payload, n FROM readings WHERE row > ? ORDER BY row LIMIT ?'),
    readRange: db.prepare('SELECT payload, n FROM readings WHERE row BETWEEN ? AND ? ORDER BY row'),
    dropUnbatched: db.prepare(
      `DELETE FROM readings WHERE row IN (SELECT row FROM readings WHERE row > ? ORDER BY row LIMIT ?) RETURNING ts_ms, n AS c, ${BYTES} AS n`,
    ),
    oldestReading: db.prepare('SELECT ts_ms FROM readings ORDER BY row LIMIT 1'),
    insertBatch: db.prepare('INSERT INTO batches (seq, first_row, last_row) VALUES (?, ?, ?)'),
    listBatches: db.prepare('SELECT seq, first_row, last_row FROM batches ORDER BY seq'),
    deleteBatchRow: db.prepare('DELETE FROM batches WHERE seq = ? RETURNING first_row, last_row'),
    deleteBatchesFrom: db.prepare('DELETE FROM batches WHERE seq >= ?'),
    measureRange: db.prepare(`SELECT sum(n) AS c, sum(${BYTES}) AS b FROM readings WHERE row BETWEEN ? AND ?`),
    deleteRange: db.prepare('DELETE FROM readings WHERE row BETWEEN ? AND ?'),
    // The ledger's totals, read at open and after a rolled-back transaction.
    lastBatchedRow: db.prepare('SELECT max(last_row) FROM batches').pluck(),
    eventTotals: db.prepare(`SELECT count(*) AS n, coalesce(sum(${EVENT_BYTES}), 0) AS b FROM events`),
    readingTotals: db.prepare(`SELECT coalesce(sum(n), 0) AS n, coalesce(sum(${BYTES}), 0) AS b FROM readings`),
    unbatchedReadings: db.prepare('SELECT coalesce(sum(n), 0) FROM readings WHERE row > ?').pluck(),
    unbatchedRows: db.prepare('SELECT count(*) FROM readings WHERE row > ?').pluck(),
  };
}
