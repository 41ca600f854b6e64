import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../gateway/core/clock.js';
import { silentLogger } from '../../gateway/core/logger.js';
import type { Reading } from '../../gateway/core/model.js';
import type { TelemetryBatch } from '../../gateway/outbox/outbox.js';
import { SqliteOutbox } from '../../gateway/outbox/sqlite-outbox.js';
import { openGatewayDatabase } from '../../gateway/storage/sqlite-database.js';
import { tempDir } from '../helpers/gateway-harness.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('a flapping uplink while a backlog drains (lane-pump: pendingBatches on every connection)', () => {
  it('does not form another 60,000 readings of batches ahead on every reconnection: batches formed and memory stay bounded, order kept', () => {
    const clock = new ManualClock(Date.parse('2024-01-01T10:00:00.000Z'));
    const t = tempDir();
    cleanups.push(t.cleanup);
    const { db } = openGatewayDatabase(join(t.dir, 'gridgate.db'), 'FULL', silentLogger());
    const outbox = new SqliteOutbox({ db, gateway: 'gw', site: 'site', capacityBytes: 512 * 1024 * 1024, log: silentLogger(), clock });
    let v = 0;
    const sent: TelemetryBatch[] = [];
    const listed: number[] = [];
    for (let cycle = 0; cycle < 10; cycle++) {
      // Readings keep coming (70,000 per cycle, a backlog).
      for (let p = 0; p < 700; p++) {
        const rs: Reading[] = Array.from({ length: 100 }, (_, i) => ({
          id: `i${v}`,
          device: 'm',
          point: `r${i}`,
          ts: new Date(clock.now()).toISOString(),
          value: v++,
          quality: 'good',
        }));
        outbox.appendReadings(rs);
      }
      outbox.flush();
      // A connection: what is not acknowledged is listed and sent again first, then new batches
      // fill the window of 4 (1,000 readings each); the link drops before any PUBACK.
      const resend = outbox.pendingBatches();
      listed.push(resend.length);
      const window = resend.slice(0, 4);
      if (window.length < 4) window.push(...outbox.formBatches(1000, 1000, 4 - window.length));
      sent.push(...window);
    }
    // Every batch sent has the next seq or one sent before (same readings).
    const bySeq = new Map<number, string>();
    for (const b of sent) {
      const k = b.readings.join(',');
      if (bySeq.has(b.seq)) expect(bySeq.get(b.seq)).toBe(k);
      bySeq.set(b.seq, k);
    }
    // Nothing was acknowledged: the batches formed are the window sent plus at most one commit's
    // batches formed ahead (60), not 60 more for each of the 10 connections.
    const formed = outbox.stats().nextSeq.telemetry - 1;
    expect(formed, `batches listed at each connection: ${listed.join(' ')}`).toBeLessThanOrEqual(4 + 60);
    expect(Math.max(...listed)).toBeLessThanOrEqual(4 + 60);
    outbox.close();
  });
});
