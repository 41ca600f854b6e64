import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { type Clock, monotonicMs } from '../core/clock.js';
import type { GatewayEvent, Reading } from '../core/model.js';
import { DiskPressure } from './disk-pressure.js';
import type { DiskReserve } from './disk-reserve.js';
import { DropRange } from './drop-range.js';
import { FreeSpaceGuard } from './free-space-guard.js';
import type { DropNotice, LaneStats, Outbox, OutboxStats, StoredEvent, TelemetryBatch } from './outbox.js';
import { OutboxLedger } from './outbox-ledger.js';
import { PendingRows, type TakenRows } from './pending-rows.js';
import { INSERT_ROWS, type OutboxStatements, prepare } from './sqlite-statements.js';

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
  /** Its row in the held-events journal (storage/sqlite-held-events.ts), deleted in the commit that stores it. */
  heldId?: number;
}

/** Events held in memory while commits fail. */
const MAX_HELD_EVENTS = 1000;

/**
 * Readings held before an immediate commit. Below it, readings nobody waits for are committed on
 * the lazy window (100 ms) or when the uplink needs a batch, so the commit rate does not grow with
 * the reading rate: at 5,000 (the earlier bound) 500,000 readings/s made ~100 fsynced commits a
 * second, the loop spent 70 % of its time committing and the overload guard stretched every poll
 * ×32. 60,000 is 120 ms at 500,000/s; they wait as row texts (pending-rows.ts), ~6 MB at most.
 */
export const MAX_PENDING_READINGS = 60_000;

/**
 * Readings a commit forms into batches ahead of the uplink's asks (whole batches, up to this many
 * readings; at least the batching's maxBatches). The uplink takes one batch per PUBACK: forming
 * only its window (4) per commit made a commit, with its fsync, every few PUBACKs at high rates.
 * The batches' texts are the rows the ledger holds anyway.
 */
export const EARLY_BATCH_READINGS = 60_000;

const NO_ROWS: TakenRows = Object.freeze({ texts: [], counts: [], sizes: [], count: 0, bytes: 0, since: 0 }) as TakenRows;

/** The longest the group-commit window grows to on a slow disk (ms). */
const MAX_WINDOW_MS = 30;

/**
 * The outbox on SQLite (WAL). Appends are buffered for a short window (commitWindowMs) and committed
 * in one transaction (group commit), which is what makes 100k readings/s possible with fsync on.
 * What it holds is counted in memory by the ledger (outbox-ledger.ts: capacity, batches); a full
 * disk is handled by disk-pressure.ts; drop notices are built by drop-range.ts.
 */
export class SqliteOutbox implements Outbox {
  private readonly db: Database.Database;
  private readonly stmts: OutboxStatements;
  private readonly ledger: OutboxLedger;
  private readonly disk: DiskPressure;
  private readonly commitListeners = new Set<() => void>();
  private readonly dropListeners = new Set<(drop: DropNotice) => void>();
  /** Readings accepted, not committed yet: already serialized into rows. */
  private readonly pendingRows: PendingRows;
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
  /** The batching the uplink asked for last (formBatches): a commit that completes a batch forms it at once. */
  private batching: { maxReadings: number; maxDelayMs: number; maxBatches: number } | undefined;
  /**
   * Batches formed by a commit of readings (their records written in that commit), not yet handed
   * to the uplink: at a nominal site the commit that completed a batch was followed by another
   * commit, with its own fsync, only to write the batch record.
   */
  private formedEarly: TelemetryBatch[] = [];
  /** When the oldest reading not yet committed was accepted (monotonic ms; meaningful while any wait). */
  private pendingSince = 0;

  constructor(private readonly options: SqliteOutboxOptions) {
    this.db = options.db;
    this.commitWindowMs = options.commitWindowMs ?? 10;
    this.lazyWindowMs = Math.max(this.commitWindowMs, options.lazyWindowMs ?? 100);
    this.rowReadings = Math.max(1, options.rowReadings ?? 100);
    this.pendingRows = new PendingRows(this.rowReadings);
    this.stmts = prepare(this.db);
    this.ledger = new OutboxLedger(this.stmts, options.clock, options.capacityBytes);
    const freeSpace = options.freeSpace && new FreeSpaceGuard(options.freeSpace.dir, options.freeSpace.minBytes, options.clock, options.log);
    this.disk = new DiskPressure({
      db: this.db,
      ledger: this.ledger,
      reserve: options.reserve,
      freeSpace,
      rowReadings: this.rowReadings,
      log: options.log,
      clock: options.clock,
      notifyDrop: (d) => this.notifyDrop(d),
    });
  }

  appendReadings(readings: readonly Reading[]): void {
    if (readings.length === 0) return;
    if (this.pendingRows.count === 0) this.pendingSince = monotonicMs(this.options.clock);
    this.pendingRows.add(readings, this.options.clock.now());
    // Big bursts are committed at once so the buffer stays small.
    if (this.pendingRows.count >= MAX_PENDING_READINGS) this.flush();
    else this.scheduleFlush(this.nextCommit ? 'waited' : 'lazy');
  }

  appendEvent(event: GatewayEvent, snapshot?: Buffer, heldId?: number): void {
    this.pendingEvents.push({ event, snapshot, heldId });
    this.scheduleFlush('event');
  }

  /**
   * Resolves once everything accepted so far is committed (durable with synchronous=FULL);
   * rejects when the commit holding it failed or its readings had to be dropped for lack of disk.
   * This is what an acknowledgement to a device waits for (MQTT PUBACK after durable).
   */
  committed(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('outbox closed'));
    if (this.pendingRows.count + this.pendingEvents.length === 0) return Promise.resolve();
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
    const readings = this.pendingRows.count > 0 ? this.pendingRows.take() : NO_ROWS;
    const events = this.pendingEvents;
    const ackedEvents = this.ackedEvents;
    const ackedBatches = this.ackedBatches;
    const waiter = this.nextCommit;
    this.nextCommit = undefined;
    if (readings.count + events.length + ackedEvents.length + ackedBatches.length === 0) {
      waiter?.resolve();
      if (!extra) return true;
      try {
        this.db.transaction(extra)();
        return true;
      } catch (err) {
        this.disk.onWriteError(err);
        return false;
      }
    }
    this.pendingEvents = [];
    this.ackedEvents = [];
    this.ackedBatches = [];
    const drops: DropNotice[] = [];
    let notStored: Error | undefined;
    let rows = readings;
    if (rows.count && this.disk.lowOnSpace()) {
      // Keep the last free space for acknowledgements, events and checkpoints.
      this.ledger.droppedTotals.telemetry += rows.count;
      drops.push(this.unwritten(rows).notice('telemetry', 'disk_full'));
      rows = NO_ROWS;
      notStored = new Error('readings dropped: the disk under the outbox is almost full');
    }
    const started = performance.now();
    const unbatchedSince = this.ledger.unbatchedSince;
    const b = this.batching;
    // Not when the outbox is nearly full: makeRoom would unform them again at the next commit.
    const planEarly = !extra && rows.count > 0 && b !== undefined && this.formedEarly.length === 0 && this.ledger.room() >= this.options.capacityBytes / 10;
    let early: ReturnType<OutboxLedger['planBatches']>;
    try {
      this.db.transaction(() => {
        for (const seq of ackedEvents) this.ledger.deleteEvent(seq);
        for (const seq of ackedBatches) this.ledger.deleteBatch(seq);
        if (events.length) this.insertEvents(events, drops);
        if (rows.count) this.insertReadings(rows, drops);
        this.stmts.setMeta.run('next_event_seq', this.ledger.nextEventSeq);
        extra?.();
        if (planEarly) early = this.ledger.planBatches(b.maxReadings, b.maxDelayMs, earlyBatches(b.maxReadings, b.maxBatches));
      })();
    } catch (err) {
      this.ledger.unbatchedSince = unbatchedSince;
      this.noteCommitTime(performance.now() - started);
      this.recoverFromFailedCommit(err, rows, events, ackedEvents, ackedBatches);
      waiter?.reject(err instanceof Error ? err : new Error(String(err)));
      return false;
    }
    this.noteCommitTime(performance.now() - started);
    if (this.ledger.unformedFrom !== undefined) {
      // makeRoom gave the batches formed ahead back to the rows waiting (to make room, oldest first).
      this.formedEarly = [];
      this.ledger.unformedFrom = undefined;
    }
    if (early) {
      early.apply();
      this.formedEarly.push(...early.formed);
    }
    if (notStored) waiter?.reject(notStored);
    else waiter?.resolve();
    if (rows.count || events.length) this.disk.committed();
    this.disk.keepReserve();
    for (const d of drops) this.notifyDrop(d);
    if (rows.count || events.length) for (const l of this.commitListeners) l();
    return true;
  }

  private noteCommitTime(ms: number): void {
    this.busyMs += ms;
    this.lastCommitMs = ms;
  }

  readEvents(afterSeq: number, limit: number): StoredEvent[] {
    // Only when events or their acknowledgements wait is the commit made first: committing
    // pending readings here made every pass of the uplink's pump (each PUBACK, every 50 ms) a
    // commit with an fsync.
    if (this.pendingEvents.length + this.ackedEvents.length > 0) this.flush();
    // Nothing stored after afterSeq (the pump asks on every pass): no query.
    if (afterSeq >= this.ledger.nextEventSeq - 1) return [];
    const rows = this.stmts.readEvents.all(afterSeq, limit) as Array<{ seq: number; id: string; payload: string; snapshot: Buffer | null }>;
    return rows.map((r) => (r.snapshot ? { seq: r.seq, id: r.id, payload: r.payload, snapshot: r.snapshot } : { seq: r.seq, id: r.id, payload: r.payload }));
  }

  ackEvent(seq: number): void {
    this.ackedEvents.push(seq);
    this.scheduleFlush();
  }

  pendingBatches(): TelemetryBatch[] {
    this.flush();
    // Batches formed early were never handed out: they stay in formedEarly (formBatches hands them
    // out after these, their seq is higher). Listing them here and clearing formedEarly let the next
    // commit form another EARLY_BATCH_READINGS ahead: on a flapping link, 60,000 more readings in
    // batches (undroppable, all read into memory here) per connection.
    const early = this.formedEarly[0]?.seq ?? Number.POSITIVE_INFINITY;
    const batches = (this.stmts.listBatches.all() as Array<{ seq: number; first_row: number; last_row: number }>).filter((b) => b.seq < early);
    return batches.map((b) => {
      const rows = this.stmts.readRange.all(b.first_row, b.last_row) as Array<{ payload: string; n: number }>;
      return { seq: b.seq, readings: rows.map((r) => r.payload), count: rows.reduce((k, r) => k + r.n, 0) };
    });
  }

  formBatch(maxReadings: number, maxDelayMs: number): TelemetryBatch | undefined {
    return this.formBatches(maxReadings, maxDelayMs, 1)[0];
  }

  formBatches(maxReadings: number, maxDelayMs: number, maxBatches: number): TelemetryBatch[] {
    this.batching = { maxReadings, maxDelayMs, maxBatches: Math.max(1, maxBatches, this.batching?.maxBatches ?? 1) };
    // Batches a commit formed already go first (lower seq); the caller asks again for more.
    if (this.formedEarly.length > 0) return this.formedEarly.splice(0, Math.max(0, maxBatches));
    // Called on every pass of the uplink's pump: when no batch can be due, commit nothing (the
    // readings waiting keep their lazy window; a commit here was an fsync per pass).
    if (!this.batchMayBeDue(maxReadings, maxDelayMs)) return [];
    // What waits is committed in the same transaction as the batch records: one fsync, not two.
    // Every whole batch there is gets formed (up to EARLY_BATCH_READINGS); those beyond the ask
    // wait in formedEarly for the next PUBACKs, which then commit nothing.
    let formed: TelemetryBatch[] = [];
    let apply: (() => void) | undefined;
    const ok = this.commit(() => {
      const plan = this.ledger.planBatches(maxReadings, maxDelayMs, earlyBatches(maxReadings, maxBatches));
      if (plan) ({ formed, apply } = plan);
    });
    if (!ok || !apply) return [];
    apply();
    const asked = Math.max(0, maxBatches);
    if (formed.length > asked) this.formedEarly.push(...formed.splice(asked));
    return formed;
  }

  /** Whether formBatches could form a batch now, counting the readings not committed yet. */
  private batchMayBeDue(maxReadings: number, maxDelayMs: number): boolean {
    const l = this.ledger;
    const waiting = l.unbatchedCount + this.pendingRows.count;
    if (waiting === 0) return false;
    if (waiting >= maxReadings || maxDelayMs <= 0) return true;
    // The oldest waiting reading: committed ones are older than those still pending.
    const since = l.unbatchedSince ?? (this.pendingRows.count > 0 ? this.pendingSince : undefined);
    return since !== undefined && monotonicMs(this.options.clock) - since >= maxDelayMs;
  }

  ackBatch(seq: number): void {
    this.ackedBatches.push(seq);
    this.scheduleFlush();
  }

  stats(): OutboxStats {
    const l = this.ledger;
    const oldest = (sql: Database.Statement) => (sql.pluck().get() as number | undefined) ?? undefined;
    const lane = (count: number, bytes: number, oldestMs: number | undefined): LaneStats =>
      oldestMs === undefined ? { count, bytes } : { count, bytes, oldestMs };
    return {
      events: lane(l.eventCount, l.eventBytes, l.eventCount ? oldest(this.stmts.oldestEvent) : undefined),
      telemetry: lane(l.readingCount, l.readingBytes, l.readingCount ? oldest(this.stmts.oldestReading) : undefined),
      capacityBytes: this.options.capacityBytes,
      nextSeq: { events: l.nextEventSeq, telemetry: l.nextBatchSeq },
      dropped: { ...l.droppedTotals },
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
    for (const { event, snapshot, heldId } of events) {
      // Stored and no longer held: both in this one transaction (never both, never neither).
      if (heldId !== undefined) this.stmts.releaseHeld.run(heldId);
      const seq = this.ledger.nextEventSeq;
      const payload = JSON.stringify({
        schema: 'gridgate.event/1',
        id: event.id,
        gateway: this.options.gateway,
        site: this.options.site,
        seq,
        ...withoutId(event),
      });
      let picture = snapshot;
      let bytes = Buffer.byteLength(payload) + (picture?.length ?? 0);
      if (bytes > this.options.capacityBytes && picture) {
        // A picture larger than the whole outbox: keep the event, lose the picture.
        this.options.log.warn({ event: event.id, bytes: picture.length }, 'snapshot larger than the outbox capacity: sending the event without it');
        picture = undefined;
        bytes = Buffer.byteLength(payload);
      }
      this.ledger.makeRoom(bytes, 'events', drops, this.formedEarly[0]?.seq);
      this.stmts.insertEvent.run(seq, event.id, this.options.clock.now(), payload, picture ?? null);
      this.ledger.noteEvent(bytes);
    }
  }

  private insertReadings(rows: TakenRows, drops: DropNotice[]): void {
    const { texts, counts, sizes } = rows;
    let bytes = rows.bytes;
    // ts_ms is when the outbox accepted the reading: what "oldest waiting" and drop ranges mean.
    const now = this.options.clock.now();
    const roomFor = this.ledger.makeRoom(bytes, 'telemetry', drops, this.formedEarly[0]?.seq);
    let start = 0;
    if (roomFor < bytes) {
      // Not even dropping all older telemetry makes room: drop the oldest runs of this commit too.
      const lost = new DropRange();
      while (start < texts.length && bytes - lost.bytes > roomFor) {
        lost.addSpan(counts[start]!, sizes[start]!, rows.since, now);
        start++;
      }
      drops.push(lost.notice('telemetry', 'capacity'));
      this.ledger.droppedTotals.telemetry += lost.count;
      bytes -= lost.bytes;
    }
    // Rows go in by INSERT_ROWS per statement: one native call instead of one per row.
    let i = start;
    let added = 0;
    // Row ids (AUTOINCREMENT, one writer, one transaction) are consecutive: the first and the last
    // written say which rows the ledger holds in memory for their batch.
    let first: number | undefined;
    let last = 0;
    const many = this.stmts.insertManyReadings;
    const args: Array<number | string> = new Array(INSERT_ROWS * 3);
    for (; i + INSERT_ROWS <= texts.length; i += INSERT_ROWS) {
      for (let k = 0; k < INSERT_ROWS; k++) {
        args[3 * k] = now;
        args[3 * k + 1] = texts[i + k]!;
        args[3 * k + 2] = counts[i + k]!;
        added += counts[i + k]!;
      }
      last = Number(many.run(args).lastInsertRowid);
      first ??= last - INSERT_ROWS + 1;
    }
    const insert = this.stmts.insertReading;
    for (; i < texts.length; i++) {
      last = Number(insert.run(now, texts[i]!, counts[i]!).lastInsertRowid);
      first ??= last;
      added += counts[i]!;
    }
    this.ledger.noteReadings(added, bytes, this.pendingSince);
    const consecutive = first !== undefined && last - first === texts.length - start - 1;
    this.ledger.holdRows(consecutive ? first : undefined, texts, counts, sizes, start, texts.length);
  }

  // --- failures -------------------------------------------------------------------------------

  /** Readings dropped before they were written: their bytes as JSON, dated by their appends. */
  private unwritten(rows: TakenRows): DropRange {
    return new DropRange().addSpan(rows.count, rows.bytes, rows.since, this.options.clock.now());
  }

  private recoverFromFailedCommit(err: unknown, readings: TakenRows, events: PendingEvent[], ackedEvents: number[], ackedBatches: number[]): void {
    // The transaction rolled back: in-memory counters may have moved inside it, so reload them.
    this.ledger.reload();
    // Acks are idempotent and events are kept (in memory, bounded) for the next commit; the
    // readings of the failed commit are dropped and reported, so memory stays bounded.
    this.ackedEvents.push(...ackedEvents);
    this.ackedBatches.push(...ackedBatches);
    const kept = events.slice(-MAX_HELD_EVENTS);
    this.pendingEvents.unshift(...kept);
    const reason = this.disk.onWriteError(err);
    if (readings.count) {
      this.ledger.droppedTotals.telemetry += readings.count;
      this.notifyDrop(this.unwritten(readings).notice('telemetry', reason));
    }
    if (events.length > kept.length) {
      const now = this.options.clock.now();
      this.ledger.droppedTotals.events += events.length - kept.length;
      this.notifyDrop(new DropRange().add(events.length - kept.length, 0, now).notice('events', reason));
    }
    // Try again soon: acknowledgements and held events must not wait for new data.
    setTimeout(() => this.scheduleFlush(this.nextCommit ? 'waited' : this.pendingEvents.length > 0 ? 'event' : 'lazy'), 1000).unref();
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

/** Batches one commit forms: every whole batch in EARLY_BATCH_READINGS, at least the window asked. */
function earlyBatches(maxReadings: number, maxBatches: number): number {
  return Math.max(1, maxBatches, Math.floor(EARLY_BATCH_READINGS / Math.max(1, maxReadings)));
}

function withoutId(event: GatewayEvent): Omit<GatewayEvent, 'id'> {
  const { id: _id, ...rest } = event;
  return rest;
}
