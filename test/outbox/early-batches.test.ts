import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../gateway/core/clock.js';
import { createIdFactory } from '../../gateway/core/ids.js';
import { silentLogger } from '../../gateway/core/logger.js';
import type { Reading } from '../../gateway/core/model.js';
import { openGatewayDatabase } from '../../gateway/storage/sqlite-database.js';
import { SqliteOutbox } from '../../gateway/outbox/sqlite-outbox.js';
import { tempDir } from '../helpers/gateway-harness.js';

const ids = createIdFactory();
const clock = new ManualClock(Date.parse('2024-01-01T10:00:00.000Z'));
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function open(path: string) {
  const { db } = openGatewayDatabase(path, 'FULL', silentLogger());
  return new SqliteOutbox({ db, gateway: 'gw', site: 'site', capacityBytes: 64 * 1024 * 1024, log: silentLogger(), clock });
}

function newPath(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return join(t.dir, 'gridgate.db');
}

/** One Modbus poll: 100 readings of one device with one time. */
const poll = (n: number): Reading[] =>
  Array.from({ length: 100 }, (_, i) => ({
    id: ids(),
    device: 'm',
    point: `r${i}`,
    ts: new Date(clock.now()).toISOString(),
    value: n * 100 + i,
    quality: 'good',
  }));

const values = (readings: string[]) => (JSON.parse(`[${readings.join(',')}]`) as Reading[]).map((r) => r.value);

describe('a commit that completes a batch forms it in the same transaction (one fsync, not two)', () => {
  it('writes the batch record with the readings, hands the batch out first, in order, and again after a restart', () => {
    const path = newPath();
    let outbox = open(path);
    // The uplink asks once (nothing due yet): the outbox learns the batching in force.
    expect(outbox.formBatches(300, 60_000, 4)).toEqual([]);
    for (let n = 0; n < 7; n++) outbox.appendReadings(poll(n));
    outbox.flush();
    // The commit of these 700 readings also formed two full batches of 300 (seq 1 and 2).
    expect(outbox.stats().nextSeq.telemetry).toBe(3);
    const first = outbox.formBatches(300, 60_000, 1);
    expect(first.map((b) => [b.seq, b.count])).toEqual([[1, 300]]);
    const second = outbox.formBatches(300, 60_000, 4);
    expect(second.map((b) => [b.seq, b.count])).toEqual([[2, 300]]);
    expect([...values(first[0]!.readings), ...values(second[0]!.readings)]).toEqual(Array.from({ length: 600 }, (_, i) => i));
    // The last 100 are not due: nothing more, no duplicate.
    expect(outbox.formBatches(300, 60_000, 4)).toEqual([]);
    outbox.ackBatch(1);
    outbox.close();

    // After a restart the unacknowledged early batch is sent again with its seq and readings.
    outbox = open(path);
    expect(outbox.pendingBatches().map((b) => [b.seq, b.count])).toEqual([[2, 300]]);
    clock.advance(60_000);
    const rest = outbox.formBatches(300, 60_000, 4);
    expect(rest.map((b) => [b.seq, b.count])).toEqual([[3, 100]]);
    expect(values(rest[0]!.readings)).toEqual(Array.from({ length: 100 }, (_, i) => 600 + i));
    outbox.close();
  });

  it('hands early batches out once: a new connection resends what was handed out, formBatches then gives the early ones, in seq order', () => {
    const outbox = open(newPath());
    expect(outbox.formBatches(200, 60_000, 4)).toEqual([]);
    for (let n = 0; n < 6; n++) outbox.appendReadings(poll(n));
    outbox.flush();
    expect(outbox.formBatches(200, 60_000, 1).map((b) => b.seq)).toEqual([1]);
    // A new connection: batch 1 was sent and not acknowledged; 2 and 3 were never handed out.
    expect(outbox.pendingBatches().map((b) => b.seq)).toEqual([1]);
    expect(outbox.formBatches(200, 60_000, 4).map((b) => b.seq)).toEqual([2, 3]);
    expect(outbox.formBatches(200, 60_000, 4)).toEqual([]);
    // Handed out and not acknowledged: listed at the next connection.
    outbox.ackBatch(1);
    expect(outbox.pendingBatches().map((b) => b.seq)).toEqual([2, 3]);
    outbox.close();
  });
});
