import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../gateway/core/clock.js';
import { createIdFactory } from '../../gateway/core/ids.js';
import { silentLogger } from '../../gateway/core/logger.js';
import type { GatewayEvent, Reading } from '../../gateway/core/model.js';
import type { DropNotice } from '../../gateway/outbox/outbox.js';
import { openGatewayDatabase, PAGE_CACHE_KIB } from '../../gateway/storage/sqlite-database.js';
import { SqliteOutbox } from '../../gateway/outbox/sqlite-outbox.js';
import { tempDir } from '../helpers/gateway-harness.js';

const ids = createIdFactory();
const clock = new ManualClock(Date.parse('2024-01-01T10:00:00.000Z'));
const dirs: Array<() => void> = [];
afterEach(() => {
  for (const c of dirs.splice(0)) c();
});

/** One reading per row unless a test asks for runs (rowReadings): batch sizes are then exact. */
function open(path: string, capacityBytes = 64 * 1024 * 1024, rowReadings = 1) {
  const { db, movedAside } = openGatewayDatabase(path, 'FULL', silentLogger());
  const outbox = new SqliteOutbox({ db, gateway: 'gw', site: 'site', capacityBytes, log: silentLogger(), clock, rowReadings });
  const drops: DropNotice[] = [];
  outbox.onDrop((d) => drops.push(d));
  return { outbox, drops, movedAside };
}

function newPath(): string {
  const t = tempDir();
  dirs.push(t.cleanup);
  return join(t.dir, 'gridgate.db');
}

const reading = (i: number): Reading => ({ id: ids(), device: 'd', point: 'p', ts: new Date(clock.now() + i).toISOString(), value: i, quality: 'good' });
const event = (type = 'motion'): GatewayEvent => ({
  id: ids(),
  ts: new Date(clock.now()).toISOString(),
  type,
  severity: 'info',
  state: 'pulse',
  mode: 'normal',
  source: {},
});

describe('SqliteOutbox', () => {
  it('gives events seq 1, 2, 3 with the contract envelope and keeps them until acked', () => {
    const { outbox } = open(newPath());
    outbox.appendEvent(event());
    outbox.appendEvent(event(), Buffer.from([0xff, 0xd8, 0xff]));
    outbox.appendEvent(event());
    const read = outbox.readEvents(0, 10);
    expect(read.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(JSON.parse(read[0]!.payload)).toMatchObject({ schema: 'gridgate.event/1', gateway: 'gw', site: 'site', seq: 1 });
    expect(read[1]!.snapshot).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    outbox.ackEvent(1);
    expect(outbox.readEvents(0, 10).map((e) => e.seq)).toEqual([2, 3]);
    outbox.close();
  });

  it('forms telemetry batches when full or due, and resends a formed batch with the same seq after a restart', () => {
    const path = newPath();
    let { outbox } = open(path);
    outbox.appendReadings(Array.from({ length: 25 }, (_, i) => reading(i)));
    expect(outbox.formBatch(10, 60_000)?.readings).toHaveLength(10);
    const second = outbox.formBatch(10, 60_000)!;
    expect(second.seq).toBe(2);
    expect(outbox.formBatch(10, 60_000)).toBeUndefined(); // 5 waiting, not due yet
    clock.advance(60_000);
    expect(outbox.formBatch(10, 60_000)?.readings).toHaveLength(5);
    outbox.ackBatch(1);
    outbox.close();
    ({ outbox } = open(path));
    const pending = outbox.pendingBatches();
    expect(pending.map((b) => b.seq)).toEqual([2, 3]);
    expect(pending[0]!.readings).toEqual(second.readings);
    expect(outbox.stats()).toMatchObject({ telemetry: { count: 15 }, nextSeq: { telemetry: 4, events: 1 } });
    outbox.appendReadings([reading(99)]);
    clock.advance(60_000);
    expect(outbox.formBatch(10, 0)?.seq).toBe(4);
    outbox.close();
  });

  it('forms several batches in one go, with a partial last one only when it is due', () => {
    const { outbox } = open(newPath());
    outbox.appendReadings(Array.from({ length: 25 }, (_, i) => reading(i)));
    const batches = outbox.formBatches(10, 60_000, 4);
    expect(batches.map((b) => [b.seq, b.readings.length])).toEqual([
      [1, 10],
      [2, 10],
    ]);
    clock.advance(60_000);
    expect(outbox.formBatches(10, 60_000, 4).map((b) => [b.seq, b.readings.length])).toEqual([[3, 5]]);
    expect(outbox.pendingBatches().map((b) => b.seq)).toEqual([1, 2, 3]);
    outbox.close();
  });

  it('when full, drops the oldest waiting telemetry first, reports it, and keeps events', () => {
    const { outbox, drops } = open(newPath(), 1024 * 1024);
    for (let i = 0; i < 20; i++) outbox.appendEvent(event());
    for (let round = 0; round < 12; round++) {
      outbox.appendReadings(Array.from({ length: 1000 }, (_, i) => reading(round * 1000 + i)));
      outbox.flush();
    }
    const stats = outbox.stats();
    expect(stats.events.count).toBe(20);
    expect(stats.events.bytes + stats.telemetry.bytes).toBeLessThanOrEqual(1024 * 1024);
    expect(stats.dropped.telemetry).toBeGreaterThan(0);
    expect(drops.every((d) => d.lane === 'telemetry' && d.reason === 'capacity')).toBe(true);
    const dropped = drops.reduce((n, d) => n + d.count, 0);
    expect(dropped + stats.telemetry.count).toBe(12_000);
    // The oldest went first: what is left is the newest.
    const batch = outbox.formBatch(20_000, 0)!;
    expect(JSON.parse(batch.readings[0]!).value).toBe(dropped);
    expect(JSON.parse(batch.readings.at(-1)!).value).toBe(11_999);
    expect(drops[0]!.fromMs).toBe(Date.parse(reading(0).ts));
    outbox.close();
  });

  it('drops the oldest events only when events alone fill it', () => {
    const { outbox, drops } = open(newPath(), 1024 * 1024);
    const picture = Buffer.alloc(100 * 1024, 1);
    for (let i = 0; i < 15; i++) outbox.appendEvent(event(), picture);
    outbox.flush();
    const seqs = outbox.readEvents(0, 100).map((e) => e.seq);
    expect(seqs.length).toBeLessThan(15);
    expect(seqs.at(-1)).toBe(15);
    expect(drops.some((d) => d.lane === 'events')).toBe(true);
    outbox.close();
  });

  it('never reuses reading rows after the table empties (batches are row ranges)', () => {
    const { outbox } = open(newPath());
    outbox.appendReadings([reading(1), reading(2)]);
    outbox.ackBatch(outbox.formBatch(10, 0)!.seq);
    outbox.flush();
    expect(outbox.stats().telemetry.count).toBe(0);
    outbox.appendReadings([reading(3)]);
    expect(outbox.formBatch(10, 0)?.readings.map((r) => JSON.parse(r).value)).toEqual([3]);
    outbox.close();
  });

  it('holds a fixed 2 MiB page cache, not the 16 MiB build default of better-sqlite3 (RSS in a long run)', () => {
    const { db } = openGatewayDatabase(newPath(), 'FULL', silentLogger());
    expect(new Database(':memory:').pragma('cache_size', { simple: true })).toBe(-16000);
    expect(db.pragma('cache_size', { simple: true })).toBe(-PAGE_CACHE_KIB);
    expect(PAGE_CACHE_KIB).toBe(2048);
    db.close();
  });

  it('moves a corrupt database aside and starts a new one', () => {
    const path = newPath();
    writeFileSync(path, Buffer.alloc(8192, 7));
    const { outbox, movedAside } = open(path);
    expect(movedAside?.path).toMatch(/gridgate\.db\.corrupt-/);
    outbox.appendEvent(event());
    expect(outbox.readEvents(0, 10)[0]!.seq).toBe(1);
    outbox.close();
  });

  it('stores runs of readings as rows and forms batches of whole rows, counting readings, also after a restart', () => {
    const path = newPath();
    let { outbox } = open(path, 64 * 1024 * 1024, 100);
    for (let poll = 0; poll < 5; poll++) outbox.appendReadings(Array.from({ length: 100 }, (_, i) => reading(poll * 100 + i)));
    outbox.appendReadings(Array.from({ length: 250 }, (_, i) => reading(500 + i))); // rows of 100, 100, 50
    outbox.flush();
    expect(outbox.stats().telemetry.count).toBe(750);
    const batches = outbox.formBatches(250, 60_000, 10);
    // 250 per batch, whole rows of 100: 200, 200, 200, then 100 + 50 (not due: kept back).
    expect(batches.map((b) => b.count)).toEqual([200, 200, 200]);
    const values = (b: { readings: string[] }) => (JSON.parse(`[${b.readings.join(',')}]`) as Reading[]).map((r) => r.value);
    expect(batches.flatMap(values)).toEqual(Array.from({ length: 600 }, (_, i) => i));
    outbox.ackBatch(1);
    outbox.close();
    ({ outbox } = open(path, 64 * 1024 * 1024, 100));
    expect(outbox.stats().telemetry.count).toBe(550);
    expect(outbox.pendingBatches().map((b) => [b.seq, b.count])).toEqual([
      [2, 200],
      [3, 200],
    ]);
    clock.advance(60_000);
    const last = outbox.formBatches(250, 60_000, 10);
    expect(last.map((b) => b.count)).toEqual([150]);
    expect(values(last[0]!)).toEqual(Array.from({ length: 150 }, (_, i) => 600 + i));
    outbox.close();
  });

  it('tells when what was accepted is durable (committed), within the commit window', async () => {
    const { outbox } = open(newPath());
    await expect(outbox.committed()).resolves.toBeUndefined(); // nothing waiting
    outbox.appendReadings([reading(1)]);
    const durable = outbox.committed();
    let done = false;
    void durable.then(() => {
      done = true;
    });
    await Promise.resolve();
    expect(done).toBe(false); // not before the group commit
    await durable;
    expect(outbox.stats().telemetry.count).toBe(1);
    outbox.close();
  });

  it('upgrades a version 1 database (one reading per row) in place', () => {
    const path = newPath();
    const { outbox } = open(path);
    outbox.appendReadings([reading(1), reading(2)]);
    outbox.close();
    const raw = new Database(path);
    raw.exec('CREATE TABLE r2 AS SELECT row, ts_ms, payload FROM readings; DROP TABLE readings;');
    raw.exec(
      'CREATE TABLE readings (row INTEGER PRIMARY KEY AUTOINCREMENT, ts_ms INTEGER NOT NULL, payload TEXT NOT NULL); INSERT INTO readings SELECT * FROM r2; DROP TABLE r2;',
    );
    raw.prepare("UPDATE meta SET value = 1 WHERE key = 'schema_version'").run();
    raw.close();
    const again = open(path, 64 * 1024 * 1024, 100).outbox;
    expect(again.stats().telemetry.count).toBe(2);
    expect(again.formBatch(10, 0)?.count).toBe(2);
    again.close();
  });
});
