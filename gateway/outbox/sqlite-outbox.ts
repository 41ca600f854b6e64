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
  /**
   * How long an event waits for more data before the group commit (ms, default 10; grows to twice
   * the last commit's time on a slow disk, at most 30). Data a device's acknowledgement waits for
   * (committed()) is committed at the end of the current turn; other readings use lazyWindowMs.
   */
  commitWindowMs?: number;
  /**
   * How long readings nobody waits for (polled values: no device awaits an acknowledgement) wait
   * before their commit (ms, default 100). Events, and data a device's acknowledgement waits for
   * (committed()), use commitWindowMs. At a nominal site (50 polls/s) this makes ~10 commits/s
   * instead of ~50: the fsyncs were most of gridgate's CPU there.
   */
  lazyWindowMs?: number;
  /**
   * Readings per outbox row (default 100, about one Modbus poll). A row holds a run of readings
   * as one text (their JSON joined by commas), so rows, index entries and deletes cost per run,
   * not per reading. Batches are made of whole rows.
   */
  rowReadings?: number;
}

/** Waiters for the next commit: resolved when it is durable, rejected when it failed. */
interface CommitWaiter {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

interface PendingEvent {
  event: GatewayEvent;
  snapshot?: Buffer;
}

/** Events held in memory while commits fail. */
const MAX_HELD_EVENTS = 1000;

/** Readings held before an immediate commit (~20 ms at 50,000 readings/s; a nominal site's 100 ms is ~500). */
const MAX_PENDING_READINGS = 1000;

/** The longest the group-commit window grows to on a slow disk (ms). */
const MAX_WINDOW_MS = 30;

/** Rows dropped per statement when making room: amortizes the DELETE over many rows. */
const DROP_CHUNK = 2000;

/**
 * The outbox on SQLite (WAL). Appends are buffered for a short window (commitWindowMs) and committed
 * in one transaction (group commit), which is what makes 100k readings/s possible with fsync on.
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
  private flushTimer: NodeJS.Timeout | undefined;
  private nextCommit: CommitWaiter | undefined;
  private readonly commitWindowMs: number;
  private readonly lazyWindowMs: number;
  /** When the scheduled commit runs (performance.now ms). */
  private flushAt = Number.POSITIVE_INFINITY;
  private readonly rowReadings: number;
  /** Milliseconds spent in commits since open (the overload guard's storage signal). */
  private busyMs = 0;
  /** How long the last commit took (ms): the window grows with it on a slow disk. */
  private lastCommitMs = 0;
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
    this.commitWindowMs = options.commitWindowMs ?? 10;
    this.lazyWindowMs = Math.max(this.commitWindowMs, options.lazyWindowMs ?? 100);
    this.rowReadings = Math.max(1, options.rowReadings ?? 100);
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
    // Big bursts are committed at once so the buffer stays small: readings held longer than a
    // couple of young-generation collections are promoted to the old generation (RSS).
    if (this.pendingReadings.length >= MAX_PENDING_READINGS) this.flush();
    else this.scheduleFlush(this.nextCommit ? 'waited' : 'lazy');
  }

  appendEvent(event: GatewayEvent, snapshot?: Buffer): void {
    this.pendingEvents.push({ event, snapshot });
    this.scheduleFlush('event');
  }

  /**
   * Resolves once everything accepted so far is committed (durable with synchronous=FULL);
   * rejects when the commit holding it failed or its readings had to be dropped for lack of disk.
   * This is what an acknowledgement to a device waits for (MQTT PUBACK after durable).
   */
  committed(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('outbox closed'));
    if (this.pendingReadings.length + this.pendingEvents.length === 0) return Promise.resolve();
    if (!this.nextCommit) {
      let resolve!: () => void;
      let reject!: (err: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // A waiter nobody awaits must not become an unhandled rejection.
      promise.catch(() => {});
      this.nextCommit = { promise, resolve, reject };
    }
    // Someone waits (a PUBACK): commit at the end of this turn.
    this.scheduleFlush('waited');
    return this.nextCommit.promise;
  }

  flush(): void {
    this.commit();
  }

  /**
   * The group commit: acknowledgements, events and readings accepted so far, and `extra` (batch
   * records) in the same transaction — one fsync for all. False when the transaction failed.
   */
  private commit(extra?: () => void): boolean {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flushAt = Number.POSITIVE_INFINITY;
    if (this.closed) return false;
    const readings = this.pendingReadings;
    const events = this.pendingEvents;
    const ackedEvents = this.ackedEvents;
    const ackedBatches = this.ackedBatches;
    const waiter = this.nextCommit;
    this.nextCommit = undefined;
    if (readings.length + events.length + ackedEvents.length + ackedBatches.length === 0) {
      waiter?.resolve();
      if (!extra) return true;
      try {
        this.db.transaction(extra)();
        return true;
      } catch (err) {
        this.onWriteError(err);
        return false;
      }
    }
    this.pendingReadings = [];
    this.pendingEvents = [];
    this.ackedEvents = [];
    this.ackedBatches = [];
    const drops: DropNotice[] = [];
    let notStored: Error | undefined;
    if (readings.length && this.lowOnSpace()) {
      // Keep the last free space for acknowledgements, events and checkpoints.
      const bytes = readings.reduce((n, r) => n + Buffer.byteLength(JSON.stringify(r)), 0);
      this.droppedTotals.telemetry += readings.length;
      drops.push(dropOf('telemetry', 'disk_full', readings, bytes));
      readings.length = 0;
      notStored = new Error('readings dropped: the disk under the outbox is almost full');
    }
    const started = performance.now();
    const unbatchedSince = this.unbatchedSince;
    if (readings.length && this.unbatchedSince === undefined) this.unbatchedSince = monotonicMs(this.options.clock);
    try {
      this.db.transaction(() => {
        for (const seq of ackedEvents) this.deleteEvent(seq);
        for (const seq of ackedBatches) this.deleteBatch(seq);
        if (events.length) this.insertEvents(events, drops);
        if (readings.length) this.insertReadings(readings, drops);
        this.stmts.setMeta.run('next_event_seq', this.nextEventSeq);
        extra?.();
      })();
    } catch (err) {
      this.unbatchedSince = unbatchedSince;
      this.noteCommitTime(performance.now() - started);
      this.recoverFromFailedCommit(err, readings, events, ackedEvents, ackedBatches);
      waiter?.reject(err instanceof Error ? err : new Error(String(err)));
      return false;
    }
    this.noteCommitTime(performance.now() - started);
    if (notStored) waiter?.reject(notStored);
    else waiter?.resolve();
    if (this.writeFailure && (readings.length || events.length)) {
      this.options.log.warn({ was: this.writeFailure }, 'outbox commits work again');
      this.writeFailure = undefined;
    }
    this.keepReserve();
    for (const d of drops) this.notifyDrop(d);
    if (readings.length || events.length) for (const l of this.commitListeners) l();
    return true;
  }

  private noteCommitTime(ms: number): void {
    this.busyMs += ms;
    this.lastCommitMs = ms;
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
    return batches.map((b) => {
      const rows = this.stmts.readRange.all(b.first_row, b.last_row) as Array<{ payload: string; n: number }>;
      return { seq: b.seq, readings: rows.map((r) => r.payload), count: rows.reduce((k, r) => k + r.n, 0) };
    });
  }

  formBatch(maxReadings: number, maxDelayMs: number): TelemetryBatch | undefined {
    return this.formBatches(maxReadings, maxDelayMs, 1)[0];
  }

  formBatches(maxReadings: number, maxDelayMs: number, maxBatches: number): TelemetryBatch[] {
    // What waits is committed in the same transaction as the batch records: one fsync, not two.
    let formed: TelemetryBatch[] = [];
    let apply: (() => void) | undefined;
    const ok = this.commit(() => {
      const plan = this.planBatches(maxReadings, maxDelayMs, maxBatches);
      if (plan) ({ formed, apply } = plan);
    });
    if (!ok || !apply) return [];
    apply();
    return formed;
  }

  /** Inside the commit's transaction: chooses the rows of the next batches and writes their records. */
  private planBatches(maxReadings: number, maxDelayMs: number, maxBatches: number): { formed: TelemetryBatch[]; apply: () => void } | undefined {
    if (this.unbatchedCount === 0 || maxBatches < 1) return undefined;
    const waited = monotonicMs(this.options.clock) - (this.unbatchedSince ?? 0);
    const due = waited >= maxDelayMs;
    if (this.unbatchedCount < maxReadings && !due) return undefined;
    // At most maxReadings × maxBatches rows: every row holds at least one reading.
    const rows = this.stmts.readUnbatched.all(this.lastBatchedRow, maxReadings * maxBatches) as Array<{ row: number; payload: string; n: number }>;
    if (rows.length === 0) {
      this.unbatchedCount = 0;
      this.unbatchedSince = undefined;
      return undefined;
    }
    // Whole rows, up to maxReadings readings per batch (a single larger row is a batch alone).
    // Full batches always; a last, partial one only when the oldest reading is due.
    const chunks: Array<{ rows: typeof rows; count: number }> = [];
    let current: { rows: typeof rows; count: number } = { rows: [], count: 0 };
    for (const r of rows) {
      if (current.count > 0 && current.count + r.n > maxReadings) {
        chunks.push(current);
        current = { rows: [], count: 0 };
        if (chunks.length === maxBatches) break;
      }
      current.rows.push(r);
      current.count += r.n;
    }
    // A batch closed because the next row did not fit is full; the trailing one goes only when due.
    if (current.count > 0 && chunks.length < maxBatches && (due || current.count >= maxReadings)) chunks.push(current);
    if (chunks.length === 0) return undefined;
    const first = this.nextBatchSeq;
    // A batch is sent only once its record is durable (the caller applies this after the commit):
    // without it, its seq would not survive a restart. A throw here rolls the whole commit back.
    for (const [i, c] of chunks.entries()) this.stmts.insertBatch.run(first + i, c.rows[0]!.row, c.rows.at(-1)!.row);
    this.stmts.setMeta.run('next_batch_seq', first + chunks.length);
    const apply = () => {
      const taken = chunks.reduce((n, c) => n + c.count, 0);
      this.nextBatchSeq = first + chunks.length;
      this.lastBatchedRow = chunks.at(-1)!.rows.at(-1)!.row;
      this.unbatchedCount -= taken;
      this.unbatchedSince = this.unbatchedCount > 0 ? monotonicMs(this.options.clock) : undefined;
    };
    return { formed: chunks.map((c, i) => ({ seq: first + i, readings: c.rows.map((r) => r.payload), count: c.count })), apply };
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

  /** Milliseconds spent committing since the outbox was opened. */
  commitBusyMs(): number {
    return this.busyMs;
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
    // Held events of a failed commit are not durable: whoever waits for them must not be told so.
    this.nextCommit?.reject(new Error('outbox closed'));
    this.nextCommit = undefined;
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
    // One pass: each run of rowReadings readings becomes one text (their JSON joined by commas,
    // a fragment of the telemetry message's array), sized once — no per-reading arrays, so
    // less garbage (the collector was a third of the busy time at 50,000 readings/s).
    const per = this.rowReadings;
    const texts: string[] = [];
    const counts: number[] = [];
    const sizes: number[] = [];
    let bytes = 0;
    for (let i = 0; i < readings.length; i += per) {
      const end = Math.min(readings.length, i + per);
      let text = JSON.stringify(readings[i]);
      for (let k = i + 1; k < end; k++) text += `,${JSON.stringify(readings[k])}`;
      const size = Buffer.byteLength(text);
      texts.push(text);
      counts.push(end - i);
      sizes.push(size);
      bytes += size;
    }
    const roomFor = this.makeRoom(bytes, 'telemetry', drops);
    let start = 0;
    if (roomFor < bytes) {
      // Not even dropping all older telemetry makes room: drop the oldest runs of this commit too.
      let freed = 0;
      let lost = 0;
      while (start < texts.length && bytes - freed > roomFor) {
        freed += sizes[start]!;
        lost += counts[start++]!;
      }
      drops.push(dropOf('telemetry', 'capacity', readings.slice(0, lost), freed));
      this.droppedTotals.telemetry += lost;
      bytes -= freed;
    }
    // ts_ms is when the outbox accepted the reading: what "oldest waiting" and drop ranges mean.
    // Rows go in by INSERT_ROWS per statement: one native call instead of one per row.
    const now = this.options.clock.now();
    let i = start;
    let added = 0;
    const many = this.stmts.insertManyReadings;
    const args: Array<number | string> = new Array(INSERT_ROWS * 3);
    for (; i + INSERT_ROWS <= texts.length; i += INSERT_ROWS) {
      for (let k = 0; k < INSERT_ROWS; k++) {
        args[3 * k] = now;
        args[3 * k + 1] = texts[i + k]!;
        args[3 * k + 2] = counts[i + k]!;
        added += counts[i + k]!;
      }
      many.run(args);
    }
    const insert = this.stmts.insertReading;
    for (; i < texts.length; i++) {
      insert.run(now, texts[i]!, counts[i]!);
      added += counts[i]!;
    }
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
      const rows = this.stmts.dropUnbatched.all(this.lastBatchedRow, DROP_CHUNK) as Array<{ ts_ms: number; c: number; n: number }>;
      if (rows.length === 0) break;
      telemetryDrop ??= { count: 0, bytes: 0, fromMs: Number.POSITIVE_INFINITY, toMs: 0 };
      for (const r of rows) {
        telemetryDrop.count += r.c;
        telemetryDrop.bytes += r.n;
        if (r.ts_ms < telemetryDrop.fromMs) telemetryDrop.fromMs = r.ts_ms;
        if (r.ts_ms > telemetryDrop.toMs) telemetryDrop.toMs = r.ts_ms;
        this.readingBytes -= r.n;
        this.readingCount -= r.c;
        this.unbatchedCount -= r.c;
      }
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
    setTimeout(() => this.scheduleFlush(this.nextCommit ? 'waited' : this.pendingEvents.length > 0 ? 'event' : 'lazy'), 1000).unref();
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
        const waitingRows = this.db.prepare('SELECT count(*) FROM readings WHERE row > ?').pluck().get(this.lastBatchedRow) as number;
        const target = Math.max(Math.ceil(DROP_CHUNK / this.rowReadings), Math.floor(waitingRows / 2));
        const rows = this.stmts.dropUnbatched.all(this.lastBatchedRow, target) as Array<{ ts_ms: number; c: number; n: number }>;
        if (rows.length === 0) return;
        let bytes = 0;
        let count = 0;
        let fromMs = Number.POSITIVE_INFINITY;
        let toMs = 0;
        for (const r of rows) {
          bytes += r.n;
          count += r.c;
          fromMs = Math.min(fromMs, r.ts_ms);
          toMs = Math.max(toMs, r.ts_ms);
        }
        drops.push({ lane: 'telemetry', reason: 'disk_full', count, bytes, fromMs, toMs });
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
    const rd = this.db.prepare(`SELECT coalesce(sum(n), 0) AS n, coalesce(sum(${BYTES}), 0) AS b FROM readings`).get() as { n: number; b: number };
    this.eventCount = ev.n;
    this.eventBytes = ev.b;
    this.readingCount = rd.n;
    this.readingBytes = rd.b;
    this.unbatchedCount = this.db.prepare('SELECT coalesce(sum(n), 0) FROM readings WHERE row > ?').pluck().get(this.lastBatchedRow) as number;
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

  /**
   * `waited`: a device waits for its acknowledgement: commit at the end of this turn, so what
   * arrived in one read of its connection is one commit and the sender is never held longer
   * than a commit (aedes reads the next packets only when these are acknowledged).
   * `event`: the short window. `lazy`: polled readings nobody waits for.
   */
  private scheduleFlush(kind: 'waited' | 'event' | 'lazy' = 'lazy'): void {
    if (this.closed) return;
    // better-sqlite3 commits (and fsyncs) on the event loop: on a slow disk the event window grows
    // to twice the last commit's time (at most MAX_WINDOW_MS), so commits never take more than
    // about a third of the loop.
    const window = kind === 'waited' ? 0 : kind === 'event' ? Math.min(MAX_WINDOW_MS, Math.max(this.commitWindowMs, 2 * this.lastCommitMs)) : this.lazyWindowMs;
    const at = performance.now() + window;
    if (this.flushTimer && this.flushAt <= at) return;
    clearTimeout(this.flushTimer);
    this.flushAt = at;
    this.flushTimer = setTimeout(() => this.flush(), window);
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
