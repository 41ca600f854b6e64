import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { ManualClock } from '../../gateway/core/clock.js';
import { silentLogger } from '../../gateway/core/logger.js';
import type { Reading } from '../../gateway/core/model.js';
import { SqliteOutbox } from '../../gateway/outbox/sqlite-outbox.js';
import type { TelemetryBatch } from '../../gateway/outbox/outbox.js';
import { openGatewayDatabase } from '../../gateway/storage/sqlite-database.js';
import { tempDir } from '../helpers/gateway-harness.js';

/*
 * A model check of SqliteOutbox (review of the s5-ceiling merge): random appends (rows of 1-100
 * readings), commits, batch asks with any window, acks, reconnections (pendingBatches), orderly
 * restarts and kill -9 (the connection closed with nothing flushed), at three capacities (drops).
 * Holds: a seq is new only as the next one, a batch sent again has the same readings, readings
 * go out in order and once, and every committed reading is delivered or reported dropped.
 */

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function rng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s % n;
  };
}

for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) {
  it(`the outbox keeps seq, order and every committed reading (seed ${seed})`, () => {
    const r = rng(seed);
    const t = tempDir();
    cleanups.push(t.cleanup);
    const path = join(t.dir, 'gridgate.db');
    const clock = new ManualClock(Date.parse('2024-01-01T10:00:00.000Z'));
    const capacityBytes = [200_000, 2_000_000, 64 * 1024 * 1024][seed % 3]!;
    let dropped = 0;
    let db: ReturnType<typeof openGatewayDatabase>['db'];
    const open = () => {
      db = openGatewayDatabase(path, 'FULL', silentLogger()).db;
      const o = new SqliteOutbox({ db, gateway: 'gw', site: 's', capacityBytes, log: silentLogger(), clock, rowReadings: 1 + r(100) });
      o.onDrop((d) => {
        if (d.lane === 'telemetry') dropped += d.count;
      });
      return o;
    };
    let outbox = open();
    let next = 0;
    let accepted = 0;
    let pendingCount = 0;
    const seen = new Map<number, string>();
    let lastNewSeq = 0;
    let inFlight: TelemetryBatch[] = [];
    let resend: TelemetryBatch[] = [];
    const maxR = [50, 100, 300, 1000][r(4)]!;
    const take = (b: TelemetryBatch, fresh: boolean) => {
      const key = b.readings.join(',');
      const before = seen.get(b.seq);
      if (before !== undefined) expect(key, `seq ${b.seq} re-sent with other readings`).toBe(before);
      else {
        expect(fresh ? b.seq : lastNewSeq + 1, `seq gap`).toBe(lastNewSeq + 1);
        seen.set(b.seq, key);
        lastNewSeq = b.seq;
      }
      expect(JSON.parse(`[${key}]`).length).toBe(b.count);
      inFlight.push(b);
    };
    for (let step = 0; step < 400; step++) {
      const op = r(20);
      if (op < 8) {
        const n = 1 + r(250);
        const rs: Reading[] = Array.from({ length: n }, () => ({
          id: `i${next}`,
          device: 'm',
          point: 'p',
          ts: new Date(clock.now()).toISOString(),
          value: next++,
          quality: 'good',
        }));
        outbox.appendReadings(rs);
        pendingCount += n;
      } else if (op < 10) {
        outbox.flush();
        accepted += pendingCount;
        pendingCount = 0;
      } else if (op < 14) {
        const room = 4 - inFlight.length;
        if (room <= 0) continue;
        const fromResend = resend.splice(0, room);
        for (const b of fromResend) take(b, false);
        if (fromResend.length) continue;
        const hadPending = pendingCount;
        const got = outbox.formBatches(maxR, 1000, room);
        if (hadPending && (outbox as unknown as { pendingRows: { count: number } }).pendingRows.count === 0) {
          accepted += pendingCount;
          pendingCount = 0;
        }
        for (const b of got) take(b, true);
      } else if (op < 16) {
        const k = r(inFlight.length + 1);
        for (const b of inFlight.splice(0, k)) outbox.ackBatch(b.seq);
      } else if (op < 17) {
        clock.advance(300 + r(1500));
      } else if (op < 18) {
        // reconnect: everything not acknowledged is sent again
        inFlight = [];
        resend = outbox.pendingBatches();
        accepted += pendingCount;
        pendingCount = 0;
      } else if (op < 19) {
        // kill -9: what was not committed is gone (never acknowledged), acks not committed neither
        (outbox as unknown as { closed: boolean }).closed = true;
        db!.close();
        pendingCount = 0;
        inFlight = [];
        outbox = open();
        resend = outbox.pendingBatches();
      } else {
        // orderly restart
        outbox.close();
        accepted += pendingCount;
        pendingCount = 0;
        inFlight = [];
        outbox = open();
        resend = outbox.pendingBatches();
      }
    }
    // drain
    outbox.flush();
    accepted += pendingCount;
    pendingCount = 0;
    inFlight = [];
    resend = outbox.pendingBatches();
    for (let i = 0; i < 100000; i++) {
      const b = resend.shift();
      if (b) {
        take(b, false);
      } else {
        const got = outbox.formBatches(maxR, 0, 4);
        if (got.length === 0) break;
        for (const g of got) take(g, true);
      }
      for (const x of inFlight.splice(0)) outbox.ackBatch(x.seq);
    }
    outbox.flush();
    expect(outbox.stats().telemetry.count).toBe(0);
    // every accepted reading delivered once in order, or reported dropped
    const all: number[] = [];
    for (const seq of [...seen.keys()].sort((a, b) => a - b)) all.push(...(JSON.parse(`[${seen.get(seq)}]`) as Reading[]).map((x) => x.value as number));
    for (let i = 1; i < all.length; i++) expect(all[i]! > all[i - 1]!, `order at ${i}`).toBe(true);
    expect(new Set(all).size).toBe(all.length);
    expect(all.length + dropped, `delivered ${all.length} + dropped ${dropped} vs accepted ${accepted}`).toBeGreaterThanOrEqual(accepted);
    outbox.close();
  });
}
