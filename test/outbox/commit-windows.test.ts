import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../gateway/core/clock.js';
import { createIdFactory } from '../../gateway/core/ids.js';
import { silentLogger } from '../../gateway/core/logger.js';
import { EARLY_BATCH_READINGS, MAX_PENDING_READINGS, SqliteOutbox } from '../../gateway/outbox/sqlite-outbox.js';
import { openGatewayDatabase } from '../../gateway/storage/sqlite-database.js';
import { tempDir } from '../helpers/gateway-harness.js';
import { batchValues, pollMaker } from '../helpers/poll-readings.js';

/**
 * At high reading rates the number of commits (each an fsync with synchronous=FULL, on the event
 * loop) must not grow with the rate: readings are committed on the lazy window or when the uplink
 * needs a batch, and one commit forms every whole batch it can, so the PUBACKs that follow take
 * batches without committing. Session 4 measured ~100 commits/s at 500,000 readings/s (one per
 * 5,000 readings, plus one per few PUBACKs) and the overload guard read it as a saturated disk.
 * Counted here on a real SQLite file (WAL, FULL): commits, batches, rows read back.
 */

const ids = createIdFactory();
const clock = new ManualClock(Date.parse('2026-11-30T06:00:00.000Z'));
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function open() {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const { db } = openGatewayDatabase(join(t.dir, 'gridgate.db'), 'FULL', silentLogger());
  const outbox = new SqliteOutbox({ db, gateway: 'gw', site: 'site', capacityBytes: 512 * 1024 * 1024, log: silentLogger(), clock });
  const counted = { commits: 0, rowsReadBack: 0 };
  outbox.onCommit(() => counted.commits++);
  const stmts = (outbox as unknown as { stmts: { readUnbatched: { all: (...a: unknown[]) => unknown[] } } }).stmts;
  const all = stmts.readUnbatched.all.bind(stmts.readUnbatched);
  stmts.readUnbatched.all = (...a: unknown[]) => {
    const rows = all(...a);
    counted.rowsReadBack += rows.length;
    return rows;
  };
  cleanups.push(() => outbox.close());
  return { outbox, counted };
}

const poll = pollMaker(ids, clock);
const values = batchValues;

describe('outbox commits at high reading rates (real SQLite file, synchronous=FULL)', () => {
  it('a burst of 50,000 readings within one window is not committed 5,000 at a time: nothing until the window or a batch is needed', () => {
    poll.reset();
    const { outbox, counted } = open();
    // 500 polls of 100 readings in one turn of the loop: 50 ms at 1,000,000 readings/s.
    for (let p = 0; p < 500; p++) outbox.appendReadings(poll());
    expect(counted.commits).toBe(0);
    expect(MAX_PENDING_READINGS).toBeGreaterThanOrEqual(50_000);
    // The window passes (or the uplink asks): one commit for all of them.
    outbox.flush();
    expect(counted.commits).toBe(1);
    expect(outbox.stats().telemetry.count).toBe(50_000);
  });

  it('past the bound a commit is made at once, so what waits in memory stays bounded', () => {
    poll.reset();
    const { outbox, counted } = open();
    const polls = Math.ceil(MAX_PENDING_READINGS / 100) + 10;
    for (let p = 0; p < polls; p++) outbox.appendReadings(poll());
    expect(counted.commits).toBe(1);
    expect(outbox.stats().telemetry.count).toBe(MAX_PENDING_READINGS);
  });

  it('one commit forms every whole batch there is: the uplink then takes one batch per PUBACK without a commit, in order', () => {
    poll.reset();
    const { outbox, counted } = open();
    // The uplink asked once (nothing due): the outbox knows the batching (1,000 readings, window 4).
    expect(outbox.formBatches(1000, 1000, 4)).toEqual([]);
    for (let p = 0; p < 400; p++) outbox.appendReadings(poll()); // 40,000 readings
    // The pump's first ask after them: one commit, 4 batches handed out, the other 36 formed too.
    const first = outbox.formBatches(1000, 1000, 4);
    expect(first).toHaveLength(4);
    expect(counted.commits).toBe(1);
    const seen = first.flatMap(values);
    // Then one batch per PUBACK (its ack is committed on the lazy window, not here).
    for (let i = 0; i < 36; i++) {
      const [b] = outbox.formBatches(1000, 1000, 1);
      expect(b?.count).toBe(1000);
      seen.push(...values(b!));
      outbox.ackBatch(b!.seq);
    }
    expect(counted.commits).toBe(1);
    expect(seen).toEqual(Array.from({ length: 40_000 }, (_, i) => i));
    expect(EARLY_BATCH_READINGS).toBeGreaterThanOrEqual(40_000);
  });

  it('a backlog not held in memory is read back page by page, only the rows its batches need', () => {
    poll.reset();
    const { outbox, counted } = open();
    // An outage's backlog: ~30 MB of rows (more than the ledger holds), committed in windows.
    for (let round = 0; round < 6; round++) {
      for (let p = 0; p < 500; p++) outbox.appendReadings(poll());
      outbox.flush();
    }
    expect(outbox.stats().telemetry.count).toBe(300_000);
    counted.rowsReadBack = 0;
    // The uplink reconnects and asks for its window: 4 batches of 1,000 readings (40 rows of 100).
    const batches = outbox.formBatches(1000, 0, 4);
    expect(batches.map((b) => b.count)).toEqual([1000, 1000, 1000, 1000]);
    expect(values(batches[0]!).slice(0, 3)).toEqual([0, 1, 2]);
    // Formed ahead: up to EARLY_BATCH_READINGS, in pages of rows; not the 4,000+ rows a LIMIT
    // in rows read (each row holds 100 readings: 400,000 readings for 4 batches).
    expect(counted.rowsReadBack).toBeLessThanOrEqual(EARLY_BATCH_READINGS / 100 + 64);
  });
});
