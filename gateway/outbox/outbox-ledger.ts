import { type Clock, monotonicMs } from '../core/clock.js';
import { DropRange } from './drop-range.js';
import type { DropNotice, TelemetryBatch } from './outbox.js';
import type { OutboxStatements } from './sqlite-statements.js';

/** Rows dropped per statement when making room: amortizes the DELETE over many rows. */
export const DROP_CHUNK = 2000;

/** A reading row as the batch planner reads it. */
interface UnbatchedRow {
  row: number;
  payload: string;
  n: number;
}

/**
 * The most row text held in memory for batches not formed yet (UTF-8 bytes; 12 MB: a commit at
 * 500,000 readings/s holds ~6 MB, and reading it back from the file was the cost). Beyond it (a
 * backlog during an outage) batches are read back from the file until the backlog is gone.
 */
export const MAX_HELD_BYTES = 12 * 1024 * 1024;

/** Rows read back from the file per query when they are not held (a row holds up to ~100 readings). */
const READ_BACK_PAGE_ROWS = 32;

type HeldRow = UnbatchedRow & { bytes: number };

/**
 * What the outbox holds, in memory: counts and bytes per lane (loaded once at open, so capacity
 * checks cost nothing), the next seq of each lane, and which reading rows are in a batch. Its
 * methods that write run inside the outbox's transaction; after a rollback `reload()` reads the
 * truth back from the file.
 */
export class OutboxLedger {
  nextEventSeq = 1;
  nextBatchSeq = 1;
  eventCount = 0;
  eventBytes = 0;
  readingCount = 0;
  readingBytes = 0;
  /** Highest reading row already in a batch; rows above it are waiting for one. */
  lastBatchedRow = 0;
  unbatchedCount = 0;
  /** When the oldest reading that is in no batch yet was accepted (monotonic ms), for maxDelay. */
  unbatchedSince: number | undefined;
  readonly droppedTotals = { telemetry: 0, events: 0 };
  /**
   * The rows waiting for a batch, kept as written (text, readings, bytes) so forming a batch
   * reads nothing back from the file — the read-back was ~12 % of what gridgate allocated at a
   * nominal site, plus the SQLite work. Undefined while it does not hold every such row (after
   * open with a backlog, a drop, a rolled-back transaction, or past MAX_HELD_BYTES); complete
   * again once no row waits. Rows enter it inside the commit's transaction (a rollback reloads).
   */
  private held: HeldRow[] | undefined = [];
  private heldBytes = 0;
  /**
   * Set when makeRoom unformed the batches formed ahead of the uplink (seq from here on) in the
   * current transaction; the outbox forgets its list of them once the transaction holds.
   */
  unformedFrom: number | undefined;
  /** Readings and bytes of batches formed from held rows, so their delete measures nothing. */
  private readonly batchSizes = new Map<number, { c: number; b: number }>();

  constructor(
    private readonly stmts: OutboxStatements,
    private readonly clock: Clock,
    private readonly capacityBytes: number,
  ) {
    this.lastBatchedRow = (stmts.lastBatchedRow.get() as number | null) ?? 0;
    this.nextBatchSeq = (stmts.getMeta.get('next_batch_seq') as number | undefined) ?? 1;
    this.reload();
    this.unbatchedSince = this.unbatchedCount > 0 ? monotonicMs(clock) : undefined;
  }

  /** Reads the counters back from the file (at open, and after a transaction rolled back). */
  reload(): void {
    this.nextEventSeq = (this.stmts.getMeta.get('next_event_seq') as number | undefined) ?? 1;
    // Batches unformed (makeRoom) in a transaction that rolled back are in the file again.
    this.lastBatchedRow = (this.stmts.lastBatchedRow.get() as number | null) ?? 0;
    this.nextBatchSeq = (this.stmts.getMeta.get('next_batch_seq') as number | undefined) ?? 1;
    this.unformedFrom = undefined;
    const ev = this.stmts.eventTotals.get() as { n: number; b: number };
    const rd = this.stmts.readingTotals.get() as { n: number; b: number };
    this.eventCount = ev.n;
    this.eventBytes = ev.b;
    this.readingCount = rd.n;
    this.readingBytes = rd.b;
    this.unbatchedCount = this.stmts.unbatchedReadings.get(this.lastBatchedRow) as number;
    this.dropHeld();
  }

  /**
   * Rows were written in this transaction, after noteReadings, with consecutive row ids from
   * `first` (texts[from…to)): held for their batch. `first` undefined: ids unknown, hold nothing.
   */
  holdRows(first: number | undefined, texts: readonly string[], counts: readonly number[], sizes: readonly number[], from: number, to: number): void {
    const held = this.held;
    if (!held) return;
    if (first === undefined) {
      this.held = undefined;
      this.heldBytes = 0;
      return;
    }
    for (let i = from; i < to; i++) {
      held.push({ row: first + i - from, payload: texts[i]!, n: counts[i]!, bytes: sizes[i]! });
      this.heldBytes += sizes[i]!;
    }
    if (this.heldBytes > MAX_HELD_BYTES) {
      this.held = undefined;
      this.heldBytes = 0;
    }
  }

  private dropHeld(): void {
    // Complete (empty) when nothing waits; otherwise the file is the only source until then.
    this.held = this.unbatchedCount === 0 ? [] : undefined;
    this.heldBytes = 0;
  }

  /**
   * Readings were written: they wait for a batch (if nothing older does) since they were accepted,
   * `acceptedSince` (monotonic ms; default now), not since their commit: maxDelayMs counts from there.
   */
  noteReadings(count: number, bytes: number, acceptedSince?: number): void {
    // Nothing waited before these: whatever is held from now on is every waiting row.
    if (this.unbatchedCount === 0 && !this.held) this.dropHeld();
    this.readingCount += count;
    this.readingBytes += bytes;
    this.unbatchedCount += count;
    if (count > 0 && this.unbatchedSince === undefined) this.unbatchedSince = acceptedSince ?? monotonicMs(this.clock);
  }

  noteEvent(bytes: number): void {
    this.nextEventSeq++;
    this.eventCount++;
    this.eventBytes += bytes;
  }

  /** Room left under the capacity (bytes). */
  room(): number {
    return Math.max(0, this.capacityBytes - this.eventBytes - this.readingBytes);
  }

  // --- inside a transaction -------------------------------------------------------------------

  /**
   * Frees space for `bytes` more: oldest telemetry waiting for a batch first; events only when
   * no such telemetry is left and the incoming item is an event. Returns the room there is.
   */
  makeRoom(bytes: number, lane: 'telemetry' | 'events', drops: DropNotice[], formedAheadFrom?: number): number {
    const telemetry = new DropRange();
    while (this.eventBytes + this.readingBytes + bytes > this.capacityBytes) {
      if (this.dropUnbatched(DROP_CHUNK, telemetry) > 0) continue;
      // Batches formed ahead of the uplink were never sent: unformed, their readings wait for a
      // batch again and can go (oldest first) before any event does. They hold the highest seqs,
      // so the next batch takes the first of them again: no gap.
      if (formedAheadFrom === undefined || this.unformedFrom !== undefined || !this.unformBatches(formedAheadFrom)) break;
    }
    if (!telemetry.empty) {
      this.droppedTotals.telemetry += telemetry.count;
      drops.push(telemetry.notice('telemetry', 'capacity'));
    }
    if (lane === 'events') {
      const events = new DropRange();
      while (this.eventBytes + this.readingBytes + bytes > this.capacityBytes && this.eventCount > 0) {
        const row = this.stmts.dropOldestEvent.get() as { ts_ms: number; n: number } | undefined;
        if (!row) break;
        events.add(1, row.n, row.ts_ms);
        this.eventCount--;
        this.eventBytes -= row.n;
      }
      if (!events.empty) {
        this.droppedTotals.events += events.count;
        drops.push(events.notice('events', 'capacity'));
      }
    }
    return this.room();
  }

  /**
   * Deletes up to `rows` of the oldest reading rows in no batch, adding them to `range` (the
   * caller counts them in droppedTotals once its transaction held). Returns the rows deleted.
   */
  dropUnbatched(rows: number, range: DropRange): number {
    const dropped = this.stmts.dropUnbatched.all(this.lastBatchedRow, rows) as Array<{ ts_ms: number; c: number; n: number }>;
    for (const r of dropped) {
      range.add(r.c, r.n, r.ts_ms);
      this.readingBytes -= r.n;
      this.readingCount -= r.c;
      this.unbatchedCount -= r.c;
    }
    if (dropped.length > 0) this.dropHeld();
    return dropped.length;
  }

  /**
   * Deletes the batch records from `fromSeq` on (batches formed but never handed out), so their
   * rows wait for a batch again. Inside the caller's transaction; a rollback reloads. Returns
   * whether there was any.
   */
  private unformBatches(fromSeq: number): boolean {
    if (fromSeq >= this.nextBatchSeq) return false;
    this.stmts.deleteBatchesFrom.run(fromSeq);
    this.stmts.setMeta.run('next_batch_seq', fromSeq);
    for (let seq = fromSeq; seq < this.nextBatchSeq; seq++) this.batchSizes.delete(seq);
    this.nextBatchSeq = fromSeq;
    this.lastBatchedRow = (this.stmts.lastBatchedRow.get() as number | null) ?? 0;
    this.unbatchedCount = this.stmts.unbatchedReadings.get(this.lastBatchedRow) as number;
    if (this.unbatchedCount > 0 && this.unbatchedSince === undefined) this.unbatchedSince = monotonicMs(this.clock);
    // The held rows no longer start right after the last batched row: the file is the source.
    this.dropHeld();
    this.unformedFrom = fromSeq;
    return true;
  }

  /** Reading rows waiting for a batch. */
  unbatchedRows(): number {
    return this.stmts.unbatchedRows.get(this.lastBatchedRow) as number;
  }

  deleteEvent(seq: number): void {
    const row = this.stmts.deleteEvent.get(seq) as { n: number } | undefined;
    if (!row) return; // already dropped for capacity
    this.eventCount--;
    this.eventBytes -= row.n;
  }

  deleteBatch(seq: number): void {
    const batch = this.stmts.deleteBatchRow.get(seq) as { first_row: number; last_row: number } | undefined;
    if (!batch) return;
    const known = this.batchSizes.get(seq);
    this.batchSizes.delete(seq);
    const removed = known ?? (this.stmts.measureRange.get(batch.first_row, batch.last_row) as { c: number; b: number | null });
    this.stmts.deleteRange.run(batch.first_row, batch.last_row);
    this.readingCount -= removed.c;
    this.readingBytes -= removed.b ?? 0;
  }

  /**
   * The oldest rows in no batch, read back from the file page by page until they hold more than
   * `readings` (or none is left). A LIMIT of `readings` rows read up to 100 times more than the
   * batches needed (rows hold ~100 readings): 40 MB a commit while a backlog drained, ~200 ms each.
   */
  private readBack(readings: number): UnbatchedRow[] {
    const rows: UnbatchedRow[] = [];
    let after = this.lastBatchedRow;
    let count = 0;
    while (count <= readings) {
      const page = this.stmts.readUnbatched.all(after, READ_BACK_PAGE_ROWS) as UnbatchedRow[];
      for (const r of page) {
        rows.push(r);
        count += r.n;
      }
      if (page.length < READ_BACK_PAGE_ROWS) break;
      after = page.at(-1)!.row;
    }
    return rows;
  }

  /**
   * Chooses the rows of the next batches and writes their records (inside the commit's
   * transaction). `apply` moves the ledger on once that commit is durable: a batch is sent only
   * then, or its seq would not survive a restart.
   */
  planBatches(maxReadings: number, maxDelayMs: number, maxBatches: number): { formed: TelemetryBatch[]; apply: () => void } | undefined {
    if (this.unbatchedCount === 0 || maxBatches < 1) return undefined;
    const due = monotonicMs(this.clock) - (this.unbatchedSince ?? 0) >= maxDelayMs;
    if (this.unbatchedCount < maxReadings && !due) return undefined;
    const held = this.held;
    // At most maxReadings × maxBatches rows: every row holds at least one reading.
    const limit = maxReadings * maxBatches;
    const rows = held ? held.slice(0, limit) : this.readBack(limit);
    if (rows.length === 0) {
      this.unbatchedCount = 0;
      this.unbatchedSince = undefined;
      return undefined;
    }
    const chunks = chunkRows(rows, maxReadings, maxBatches, due);
    if (chunks.length === 0) return undefined;
    const first = this.nextBatchSeq;
    // A throw here rolls the whole commit back.
    for (const [i, c] of chunks.entries()) this.stmts.insertBatch.run(first + i, c.rows[0]!.row, c.rows.at(-1)!.row);
    this.stmts.setMeta.run('next_batch_seq', first + chunks.length);
    const apply = () => {
      this.nextBatchSeq = first + chunks.length;
      this.lastBatchedRow = chunks.at(-1)!.rows.at(-1)!.row;
      this.unbatchedCount -= chunks.reduce((n, c) => n + c.count, 0);
      this.unbatchedSince = this.unbatchedCount > 0 ? monotonicMs(this.clock) : undefined;
      if (this.held === held && held) {
        let taken = 0;
        for (const [i, c] of chunks.entries()) {
          let b = 0;
          for (const r of c.rows) b += (r as HeldRow).bytes;
          this.batchSizes.set(first + i, { c: c.count, b });
          taken += c.rows.length;
          this.heldBytes -= b;
        }
        held.splice(0, taken);
      } else if (this.unbatchedCount === 0) this.dropHeld();
    };
    return { formed: chunks.map((c, i) => ({ seq: first + i, readings: c.rows.map((r) => r.payload), count: c.count })), apply };
  }
}

/**
 * Whole rows, up to maxReadings readings per batch (a single larger row is a batch alone). Full
 * batches always; a last, partial one only when the oldest reading is due.
 */
function chunkRows(rows: UnbatchedRow[], maxReadings: number, maxBatches: number, due: boolean): Array<{ rows: UnbatchedRow[]; count: number }> {
  const chunks: Array<{ rows: UnbatchedRow[]; count: number }> = [];
  let current: { rows: UnbatchedRow[]; count: number } = { rows: [], count: 0 };
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
  return chunks;
}
