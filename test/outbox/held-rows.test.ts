import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../gateway/core/clock.js';
import { createIdFactory } from '../../gateway/core/ids.js';
import { silentLogger } from '../../gateway/core/logger.js';
import type { DropNotice } from '../../gateway/outbox/outbox.js';
import { MAX_HELD_BYTES } from '../../gateway/outbox/outbox-ledger.js';
import { SqliteOutbox } from '../../gateway/outbox/sqlite-outbox.js';
import { openGatewayDatabase } from '../../gateway/storage/sqlite-database.js';
import { tempDir } from '../helpers/gateway-harness.js';
import { batchValues, pollMaker } from '../helpers/poll-readings.js';

/**
 * The ledger holds the rows waiting for a batch in memory (outbox-ledger.ts, `held`) so that
 * forming a batch reads nothing back from the file. These tests pin that the batches are the
 * same whichever source they come from (memory, or the file after a restart, a drop, or a
 * backlog larger than what is held), that bytes and counts still come back to zero on ack,
 * and that the file is read back only when memory does not hold every waiting row.
 */

const ids = createIdFactory();
const clock = new ManualClock(Date.parse('2024-01-01T10:00:00.000Z'));
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function newPath(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return join(t.dir, 'gridgate.db');
}

/** An outbox whose file read-backs of waiting rows are counted. */
function open(path: string, capacityBytes = 256 * 1024 * 1024) {
  const { db } = openGatewayDatabase(path, 'FULL', silentLogger());
  const drops: DropNotice[] = [];
  const outbox = new SqliteOutbox({ db, gateway: 'gw', site: 'site', capacityBytes, log: silentLogger(), clock });
  outbox.onDrop((d) => drops.push(d));
  const stmts = (outbox as unknown as { stmts: { readUnbatched: { all: (...a: unknown[]) => unknown[] } } }).stmts;
  const counter = { readBacks: 0 };
  const all = stmts.readUnbatched.all.bind(stmts.readUnbatched);
  stmts.readUnbatched.all = (...a: unknown[]) => {
    counter.readBacks++;
    return all(...a);
  };
  return { outbox, drops, counter };
}

const poll = pollMaker(ids, clock);
const values = batchValues;

/** Forms and acknowledges every batch there is (due at once), returning the values in order. */
function drain(outbox: SqliteOutbox, maxReadings = 1000): number[] {
  const out: number[] = [];
  for (;;) {
    const batches = outbox.formBatches(maxReadings, 0, 4);
    if (batches.length === 0) break;
    for (const b of batches) {
      expect(b.count).toBe(values(b).length);
      out.push(...values(b));
      outbox.ackBatch(b.seq);
    }
  }
  outbox.flush();
  return out;
}

describe('rows waiting for a batch are held in memory', () => {
  it('forms batches from memory at steady state (no read-back), in order, and acks bring count and bytes to zero', () => {
    poll.reset();
    const { outbox, counter } = open(newPath());
    const seen: number[] = [];
    for (let round = 0; round < 20; round++) {
      for (let p = 0; p < 7; p++) outbox.appendReadings(poll());
      outbox.flush();
      seen.push(...drain(outbox));
    }
    expect(seen).toEqual(Array.from({ length: 14_000 }, (_, i) => i));
    expect(counter.readBacks).toBe(0);
    expect(outbox.stats().telemetry).toEqual({ count: 0, bytes: 0 });
    outbox.close();
  });

  it('after a restart with a backlog reads it back from the file, then holds new rows again once it is gone', () => {
    poll.reset();
    const path = newPath();
    let { outbox } = open(path);
    for (let p = 0; p < 30; p++) outbox.appendReadings(poll());
    outbox.close();
    const reopened = open(path);
    outbox = reopened.outbox;
    for (let p = 0; p < 5; p++) outbox.appendReadings(poll());
    expect(drain(outbox)).toEqual(Array.from({ length: 3500 }, (_, i) => i));
    expect(reopened.counter.readBacks).toBeGreaterThan(0);
    const before = reopened.counter.readBacks;
    for (let p = 0; p < 12; p++) outbox.appendReadings(poll());
    expect(drain(outbox)).toEqual(Array.from({ length: 1200 }, (_, i) => 3500 + i));
    expect(reopened.counter.readBacks).toBe(before);
    expect(outbox.stats().telemetry).toEqual({ count: 0, bytes: 0 });
    outbox.close();
  });

  it('a backlog larger than what is held (an outage) is read back whole and in order', () => {
    poll.reset();
    const { outbox, counter } = open(newPath());
    // More row text waiting than is held (MAX_HELD_BYTES), committed in several transactions.
    while (outbox.stats().telemetry.bytes <= MAX_HELD_BYTES * 1.2) {
      for (let p = 0; p < 50; p++) outbox.appendReadings(poll());
      outbox.flush();
    }
    const total = poll.made();
    expect(drain(outbox, 5000)).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(counter.readBacks).toBeGreaterThan(0);
    expect(outbox.stats().telemetry).toEqual({ count: 0, bytes: 0 });
    // Drained: held again.
    const before = counter.readBacks;
    for (let p = 0; p < 10; p++) outbox.appendReadings(poll());
    expect(drain(outbox)).toEqual(Array.from({ length: 1000 }, (_, i) => total + i));
    expect(counter.readBacks).toBe(before);
    outbox.close();
  });

  it('after dropping the oldest waiting rows for capacity, batches hold exactly what survived, in order', () => {
    poll.reset();
    // Room for ~2,500 readings of ~100 bytes.
    const { outbox, drops } = open(newPath(), 250 * 1024);
    for (let p = 0; p < 60; p++) {
      outbox.appendReadings(poll());
      outbox.flush();
    }
    const dropped = drops.filter((d) => d.lane === 'telemetry').reduce((n, d) => n + d.count, 0);
    expect(dropped).toBeGreaterThan(0);
    const sent = drain(outbox);
    // The newest survive: a contiguous run ending with the last value, nothing repeated.
    expect(sent.length + dropped).toBe(6000);
    expect(sent).toEqual(Array.from({ length: sent.length }, (_, i) => 6000 - sent.length + i));
    expect(outbox.stats().telemetry).toEqual({ count: 0, bytes: 0 });
    outbox.close();
  });
});
