import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { type Clock, monotonicMs } from '../core/clock.js';
import type { GatewayEvent, Reading } from '../core/model.js';
import type { DiskReserve } from './disk-reserve.js';
import { FreeSpaceGuard } from './free-space-guard.js';
import { BYTES, EVENT_BYTES, INSERT_ROWS, prepare } from './sqlite-statements.js';
import type { DropNotice, LaneStats, Outbox, OutboxStats, StoredEvent, TelemetryBatch } from './outbox.js';

export interface SqliteOutboxOptions {
  db: Database.Database;
  /** Ballast released when the disk fills up (see disk-reserve.ts). */
  reserve?: DiskReserve;
  /** Below this much free space on the outbox's file system, readings are dropped before they are written. */
  freeSpace?: { dir: string; minBytes: number };
  gateway: string;
  site: string;
  capacityBytes: number;
  log: Logger;
  clock: Clock;
}

interface PendingEvent {
  event: GatewayEvent;
  snapshot?: Buffer;
}

/** Events held in memory while commits fail. */
const MAX_HELD_EVENTS = 1000;

/** Rows dropped per statement when making room: amortizes the DELETE over many rows. */
const DROP_CHUNK = 2000;

/**
 * The outbox on SQLite (WAL). Appends are buffered for one event-loop turn and committed in one
 * transaction (group commit), which is what makes 100k readings/s possible with fsync on.
 * Byte counts per lane are kept in memory (loaded once at open) so that capacity checks cost nothing.
 */
export class SqliteOutbox implements Outbox {
  private readonly db: Database.Database;
  private readonly stmts: ReturnType<typeof prepare>;
  private readonly commitListeners = new Set<() => void>();
  private readonly dropListeners = new Set<(drop: DropNotice) => void>();
  private pendingReadings: Reading[] = [];
  private pendingEvents: PendingEvent[] = [];
  private ackedEvents: number[] = [];
  private ackedBatches: number[] = [];
  private flushScheduled = false;
  private closed = false;

  private nextEventSeq = 0;
  private nextBatchSeq = 0;
  private eventCount = 0;
  private eventBytes = 0;
  private readingCount = 0;
  private readingBytes = 0;
  /** Highest reading row already in a batch; rows above it are waiting for one. */
  private lastBatchedRow = 0;
  private unbatchedCount = 0;
  /** When the oldest reading that is in no batch yet was accepted (monotonic ms), for maxDelay. */
  private unbatchedSince: number | undefined;
  private readonly droppedTotals = { telemetry: 0, events: 0 };
  /** Set while commits fail for lack of disk: logged once when it starts and once when it ends. */
  private writeFailure: string | undefined;
  private lastReserveAttempt = Number.NEGATIVE_INFINITY; // monotonic ms
  private readonly freeSpace: FreeSpaceGuard | undefined;

  constructor(private readonly options: SqliteOutboxOptions) {
    this.db = options.db;
    this.freeSpace = options.freeSpace && new FreeSpaceGuard(options.freeSpace.dir, options.freeSpace.minBytes, options.clock, options.log);
    this.stmts = prepare(this.db);
    this.lastBatchedRow = (this.db.prepare('SELECT max(last_row) FROM batches').pluck().get() as number | null) ?? 0;
    this.nextBatchSeq = (this.stmts.getMeta.get('next_batch_seq') as number | undefined) ?? 1;
    this.reloadCounters();
    this.unbatchedSince = this.unbatchedCount > 0 ? monotonicMs(options.clock) : undefined;
  }

  appendReadings(readings: readonly Reading[]): void {
    if (readings.length === 0) return;
    for (const r of readings) this.pendingReadings.push(r);
    // Big bursts are committed at once so the buffer stays small.
    if (this.pendingReadings.length >= 5000) this.flush();
    else this.scheduleFlush();
  }

  appendEvent(event: GatewayEvent, snapshot?: Buffer): void {
    this.pendingEvents.push({ event, snapshot });
    this.scheduleFlush();
  }

  flush(): void {
    this.flushScheduled = false;
    if (this.closed) return;
    const readings = this.pendingReadings;
    const events = this.pendingEvents;
    const ackedEvents = this.ackedEvents;
    const ackedBatches = this.ackedBatches;
    if (readings.length + events.length + ackedEvents.length + ackedBatches.length === 0) return;
    this.pendingReadings = [];
    this.pendingEvents = [];
    this.ackedEvents = [];
    this.ackedBatches = [];
    const drops: DropNotice[] = [];
    if (readings.length && this.lowOnSpace()) {
      // Keep the last free space for acknowledgements, events and checkpoints.
      const bytes = readings.reduce((n, r) => n + Buffer.byteLength(JSON.stringify(r)), 0);
      this.droppedTotals.telemetry += readings.length;
      drops.push(dropOf('telemetry', 'disk_full', readings, bytes));
      readings.length = 0;
    }
    try {
      this.db.transaction(() => {
        for (const seq of ackedEvents) this.deleteEvent(seq);
        for (const seq of ackedBatches) this.deleteBatch(seq);
        if (events.length) this.insertEvents(events, drops);
        if (readings.length) this.insertReadings(readings, drops);
        this.stmts.setMeta.run('next_event_seq', this.nextEventSeq);
      })();
    } catch (err) {
      this.recoverFromFailedCommit(err, readings, events, ackedEvents, ackedBatches);
      return;
    }
    if (readings.length && this.unbatchedSince === undefined) this.unbatchedSince = monotonicMs(this.options.clock);
    if (this.writeFailure && (readings.length || events.length)) {
      this.options.log.warn({ was: this.writeFailure }, 'outbox commits work again');
      this.writeFailure = undefined;
    }
    this.keepReserve();
    for (const d of drops) this.notifyDrop(d);
    if (readings.length || events.length) for (const l of this.commitListeners) l();
  }

  readEvents(afterSeq: number, limit: number): StoredEvent[] {
    this.flush();
    const rows = this.stmts.readEvents.all(afterSeq, limit) as Array<{ seq: number; id: string; payload: string; snapshot: Buffer | null }>;
    return rows.map((r) => (r.snapshot ? { seq: r.seq, id: r.id, payload: r.payload, snapshot: r.snapshot } : { seq: r.seq, id: r.id, payload: r.payload }));
  }

  ackEvent(seq: number): void {
    this.ackedEvents.push(seq);
    this.scheduleFlush();
  }

  pendingBatches(): TelemetryBatch[] {
    this.flush();
    const batches = this.stmts.listBatches.all() as Array<{ seq: number; first_row: number; last_row: number }>;
    return batches.map((b) => ({ seq: b.seq, readings: this.stmts.readRange.pluck().all(b.first_row, b.last_row) as string[] }));
  }

  formBatch(maxReadings: number, maxDelayMs: number): TelemetryBatch | undefined {
    return this.formBatches(maxReadings, maxDelayMs, 1)[0];
  }

  formBatches(maxReadings: number, maxDelayMs: number, maxBatches: number): TelemetryBatch[] {
    this.flush();
    if (this.unbatchedCount === 0 || maxBatches < 1) return [];
    const waited = monotonicMs(this.options.clock) - (this.unbatchedSince ?? 0);
    const due = waited >= maxDelayMs;
    if (this.unbatchedCount < maxReadings && !due) return [];
    const rows = this.stmts.readUnbatched.all(this.lastBatchedRow, maxReadings * maxBatches) as Array<{ row: number; payload: string }>;
    if (rows.length === 0) {
      this.unbatchedCount = 0;
      this.unbatchedSince = undefined;
      return [];
    }
    // Full batches always; a last, partial one only when the oldest reading is due.
    const chunks: Array<typeof rows> = [];
    for (let i = 0; i < rows.length; i += maxReadings) {
      const chunk = rows.slice(i, i + maxReadings);
      if (chunk.length < maxReadings && !due && chunks.length > 0) break;
      chunks.push(chunk);
    }
    const first = this.nextBatchSeq;
    try {
      // One transaction (one fsync) for all of them; a batch is sent only once its record is durable.
      this.db.transaction(() => {
        for (const [i, c] of chunks.entries()) this.stmts.insertBatch.run(first + i, c[0]!.row, c.at(-1)!.row);
        this.stmts.setMeta.run('next_batch_seq', first + chunks.length);
      })();
    } catch (err) {
      // Without the batch record the batch must not be sent: its seq would not survive a restart.
      this.onWriteError(err);
      return [];
    }
    const taken = chunks.reduce((n, c) => n + c.length, 0);
    this.nextBatchSeq = first + chunks.length;
    this.lastBatchedRow = chunks.at(-1)!.at(-1)!.row;
    this.unbatchedCount -= taken;
    this.unbatchedSince = this.unbatchedCount > 0 ? monotonicMs(this.options.clock) : undefined;
    return chunks.map((c, i) => ({ seq: first + i, readings: c.map((r) => r.payload) }));
  }

  ackBatch(seq: number): void {
    this.ackedBatches.push(seq);
    this.scheduleFlush();
  }

  stats(): OutboxStats {
    const oldest = (sql: Database.Statement) => (sql.pluck().get() as number | undefined) ?? undefined;
    const lane = (count: number, bytes: number, oldestMs: number | undefined): LaneStats =>
      oldestMs === undefined ? { count, bytes } : { count, bytes, oldestMs };
    return {
      events: lane(this.eventCount, this.eventBytes, this.eventCount ? oldest(this.stmts.oldestEvent) : undefined),
      telemetry: lane(this.readingCount, this.readingBytes, this.readingCount ? oldest(this.stmts.oldestReading) : undefined),
      capacityBytes: this.options.capacityBytes,
      nextSeq: { events: this.nextEventSeq, telemetry: this.nextBatchSeq },
      dropped: { ...this.droppedTotals },
    };
  }

  onCommit(listener: () => void): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  onDrop(listener: (drop: DropNotice) => void): () => void {
    this.dropListeners.add(listener);
    return () => this.dropListeners.delete(listener);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.db.close();
  }

  // --- inside a transaction -------------------------------------------------------------------

  private insertEvents(events: PendingEvent[], drops: DropNotice[]): void {
    for (const { event, snapshot } of events) {
      const seq = this.nextEventSeq;
      const payload = JSON.stringify({ schema: 'gridgate.event/1', id: event.id, gateway: this.options.gateway, site: this.options.site, seq, ...withoutId(event) });
      let picture = snapshot;
      let bytes = Buffer.byteLength(payload) + (picture?.length ?? 0);
      if (bytes > this.options.capacityBytes && picture) {
        // A picture larger than the whole outbox: keep the event, lose the picture.
        this.options.log.warn({ event: event.id, bytes: picture.length }, 'snapshot larger than the outbox capacity: sending the event without it');
        picture = undefined;
        bytes = Buffer.byteLength(payload);
      }
      this.makeRoom(bytes, 'events', drops);
      this.stmts.insertEvent.run(seq, event.id, this.options.clock.now(), payload, picture ?? null);
      this.nextEventSeq = seq + 1;
      this.eventCount++;
      this.eventBytes += bytes;
    }
  }

  private insertReadings(readings: Reading[], drops: DropNotice[]): void {
    const payloads = readings.map((r) => JSON.stringify(r));
    let bytes = 0;
    const sizes = payloads.map((p) => Buffer.byteLength(p));
    for (const n of sizes) bytes += n;
    const roomFor = this.makeRoom(bytes, 'telemetry', drops);
    let start = 0;
    if (roomFor < bytes) {
      // Not even dropping all older telemetry makes room: drop the oldest of this batch too.
      let freed = 0;
      while (start < payloads.length && bytes - freed > roomFor) freed += sizes[start++]!;
      drops.push(dropOf('telemetry', 'capacity', readings.slice(0, start), freed));
      this.droppedTotals.telemetry += start;
      bytes -= freed;
    }
    // ts_ms is when the outbox accepted the reading: what "oldest waiting" and drop ranges mean.
    // Rows go in by INSERT_ROWS per statement: one native call instead of one per reading.
    const now = this.options.clock.now();
    let i = start;
    const many = this.stmts.insertManyReadings;
    const args: Array<number | string> = new Array(INSERT_ROWS * 2);
    for (; i + INSERT_ROWS <= readings.length; i += INSERT_ROWS) {
      for (let k = 0; k < INSERT_ROWS; k++) {
        args[2 * k] = now;
        args[2 * k + 1] = payloads[i + k]!;
      }
      many.run(args);
    }
    const insert = this.stmts.insertReading;
    for (; i < readings.length; i++) insert.run(now, payloads[i]!);
    const added = readings.length - start;
    this.readingCount += added;
    this.readingBytes += bytes;
    this.unbatchedCount += added;
  }

  /**
   * Frees space for `bytes` more: oldest telemetry waiting for a batch first; events only when
   * no such telemetry is left and the incoming item is an event. Returns the room there is.
   */
  private makeRoom(bytes: number, lane: 'telemetry' | 'events', drops: DropNotice[]): number {
    const capacity = this.options.capacityBytes;
    let telemetryDrop: { count: number; bytes: number; fromMs: number; toMs: number } | undefined;
    while (this.eventBytes + this.readingBytes + bytes > capacity) {
      const rows = this.stmts.dropUnbatched.all(this.lastBatchedRow, DROP_CHUNK) as Array<{ ts_ms: number; n: number }>;
      if (rows.length === 0) break;
      telemetryDrop ??= { count: 0, bytes: 0, fromMs: Number.POSITIVE_INFINITY, toMs: 0 };
      for (const r of rows) {
        telemetryDrop.count++;
        telemetryDrop.bytes += r.n;
        if (r.ts_ms < telemetryDrop.fromMs) telemetryDrop.fromMs = r.ts_ms;
        if (r.ts_ms > telemetryDrop.toMs) telemetryDrop.toMs = r.ts_ms;
        this.readingBytes -= r.n;
      }
      this.readingCount -= rows.length;
      this.unbatchedCount -= rows.length;
    }
    if (telemetryDrop) {
      this.droppedTotals.telemetry += telemetryDrop.count;
      drops.push({ lane: 'telemetry', reason: 'capacity', ...telemetryDrop });
    }
    if (lane === 'events') {
      let eventDrop: { count: number; bytes: number; fromMs: number; toMs: number } | undefined;
      while (this.eventBytes + this.readingBytes + bytes > capacity && this.eventCount > 0) {
        const row = this.stmts.dropOldestEvent.get() as { ts_ms: number; n: number } | undefined;
        if (!row) break;
        eventDrop ??= { count: 0, bytes: 0, fromMs: row.ts_ms, toMs: row.ts_ms };
        eventDrop.count++;
        eventDrop.bytes += row.n;
        eventDrop.fromMs = Math.min(eventDrop.fromMs, row.ts_ms);
        eventDrop.toMs = Math.max(eventDrop.toMs, row.ts_ms);
        this.eventCount--;
        this.eventBytes -= row.n;
      }
      if (eventDrop) {
        this.droppedTotals.events += eventDrop.count;
        drops.push({ lane: 'events', reason: 'capacity', ...eventDrop });
      }
    }
    return Math.max(0, capacity - this.eventBytes - this.readingBytes);
  }

  private deleteEvent(seq: number): void {
    const row = this.stmts.deleteEvent.get(seq) as { n: number } | undefined;
    if (!row) return; // already dropped for capacity
    this.eventCount--;
    this.eventBytes -= row.n;
  }

  private deleteBatch(seq: number): void {
    const batch = this.stmts.deleteBatchRow.get(seq) as { first_row: number; last_row: number } | undefined;
    if (!batch) return;
    const removed = this.stmts.measureRange.get(batch.first_row, batch.last_row) as { c: number; b: number | null };
    this.stmts.deleteRange.run(batch.first_row, batch.last_row);
    this.readingCount -= removed.c;
    this.readingBytes -= removed.b ?? 0;
  }

  // --- failures -------------------------------------------------------------------------------

  private recoverFromFailedCommit(err: unknown, readings: Reading[], events: PendingEvent[], ackedEvents: number[], ackedBatches: number[]): void {
    // The transaction rolled back: in-memory counters may have moved inside it, so reload them.
    this.reloadCounters();
    // Acks are idempotent and events are kept (in memory, bounded) for the next commit; the
    // readings of the failed commit are dropped and reported, so memory stays bounded.
    this.ackedEvents.push(...ackedEvents);
    this.ackedBatches.push(...ackedBatches);
    const kept = events.slice(-MAX_HELD_EVENTS);
    this.pendingEvents.unshift(...kept);
    const reason = this.onWriteError(err);
    if (readings.length) {
      const bytes = readings.reduce((n, r) => n + Buffer.byteLength(JSON.stringify(r)), 0);
      this.droppedTotals.telemetry += readings.length;
      this.notifyDrop(dropOf('telemetry', reason, readings, bytes));
    }
    if (events.length > kept.length) {
      this.droppedTotals.events += events.length - kept.length;
      this.notifyDrop({ lane: 'events', reason, count: events.length - kept.length, bytes: 0, fromMs: this.options.clock.now(), toMs: this.options.clock.now() });
    }
    // Try again soon: acknowledgements and held events must not wait for new data.
    setTimeout(() => this.scheduleFlush(), 1000).unref();
  }

  /** Logs a write failure once, and on a full disk frees room: the ballast, then the oldest waiting telemetry. */
  private onWriteError(err: unknown): DropNotice['reason'] {
    const code = (err as { code?: string }).code ?? '';
    const diskFull = code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR');
    const what = diskFull ? 'disk full' : (err as Error).message;
    if (this.writeFailure !== what) {
      this.writeFailure = what;
      this.options.log.error({ err, code }, diskFull ? 'outbox commit failed: disk full' : 'outbox commit failed');
    }
    if (diskFull) {
      if (this.options.reserve?.release()) this.options.log.warn('disk full: released the reserve file to make room for deletions');
      this.freeDiskSpace();
    }
    return diskFull ? 'disk_full' : 'write_error';
  }

  /**
   * Drops the older half of the telemetry waiting for a batch, so the file has free pages again,
   * and truncates the WAL (on a full disk it cannot grow to its usual checkpoint size).
   */
  private freeDiskSpace(): void {
    const drops: DropNotice[] = [];
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.db.transaction(() => {
        const target = Math.max(DROP_CHUNK, Math.floor(this.unbatchedCount / 2));
        const rows = this.stmts.dropUnbatched.all(this.lastBatchedRow, target) as Array<{ ts_ms: number; n: number }>;
        if (rows.length === 0) return;
        let bytes = 0;
        let fromMs = Number.POSITIVE_INFINITY;
        let toMs = 0;
        for (const r of rows) {
          bytes += r.n;
          fromMs = Math.min(fromMs, r.ts_ms);
          toMs = Math.max(toMs, r.ts_ms);
        }
        drops.push({ lane: 'telemetry', reason: 'disk_full', count: rows.length, bytes, fromMs, toMs });
      })();
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (err) {
      this.options.log.error({ err }, 'could not free space in the outbox');
    }
    this.reloadCounters();
    for (const d of drops) {
      this.droppedTotals.telemetry += d.count;
      this.notifyDrop(d);
    }
  }

  /** Free space under the outbox is below the configured minimum; while it is, the WAL is cut back. */
  private lowOnSpace(): boolean {
    const low = this.freeSpace?.low() ?? false;
    if (low) {
      try {
        // Acknowledged rows free pages inside the file; cutting the WAL back gives space to the disk.
        this.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // Retried at the next check.
      }
    }
    return low;
  }

  /** Puts the ballast back when there is room (at most once a minute). */
  private keepReserve(): void {
    const reserve = this.options.reserve;
    const now = monotonicMs(this.options.clock);
    if (!reserve || now - this.lastReserveAttempt < 60_000) return;
    this.lastReserveAttempt = now;
    if (!reserve.present && reserve.ensure()) this.options.log.info('reserve file written again');
  }

  private reloadCounters(): void {
    this.nextEventSeq = (this.stmts.getMeta.get('next_event_seq') as number | undefined) ?? 1;
    const ev = this.db.prepare(`SELECT count(*) AS n, coalesce(sum(${EVENT_BYTES}), 0) AS b FROM events`).get() as { n: number; b: number };
    const rd = this.db.prepare(`SELECT count(*) AS n, coalesce(sum(${BYTES}), 0) AS b FROM readings`).get() as { n: number; b: number };
    this.eventCount = ev.n;
    this.eventBytes = ev.b;
    this.readingCount = rd.n;
    this.readingBytes = rd.b;
    this.unbatchedCount = this.db.prepare('SELECT count(*) FROM readings WHERE row > ?').pluck().get(this.lastBatchedRow) as number;
  }

  private notifyDrop(drop: DropNotice): void {
    for (const l of this.dropListeners) {
      try {
        l(drop);
      } catch (err) {
        this.options.log.error({ err }, 'drop listener threw');
      }
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }
}

function withoutId(event: GatewayEvent): Omit<GatewayEvent, 'id'> {
  const { id: _id, ...rest } = event;
  return rest;
}

function dropOf(lane: 'telemetry' | 'events', reason: DropNotice['reason'], readings: Reading[], bytes: number): DropNotice {
  let fromMs = Number.POSITIVE_INFINITY;
  let toMs = 0;
  for (const r of readings) {
    const t = Date.parse(r.ts);
    if (t < fromMs) fromMs = t;
    if (t > toMs) toMs = t;
  }
  return { lane, reason, count: readings.length, bytes, fromMs, toMs };
}
