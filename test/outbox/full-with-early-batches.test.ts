import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../gateway/core/clock.js';
import { createIdFactory } from '../../gateway/core/ids.js';
import { silentLogger } from '../../gateway/core/logger.js';
import type { DropNotice } from '../../gateway/outbox/outbox.js';
import { SqliteOutbox } from '../../gateway/outbox/sqlite-outbox.js';
import { openGatewayDatabase } from '../../gateway/storage/sqlite-database.js';
import { tempDir } from '../helpers/gateway-harness.js';
import { pollMaker } from '../helpers/poll-readings.js';

const ids = createIdFactory();
const clock = new ManualClock(Date.parse('2024-01-01T10:00:00.000Z'));
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function open(capacityBytes: number) {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const { db } = openGatewayDatabase(join(t.dir, 'gridgate.db'), 'FULL', silentLogger());
  return new SqliteOutbox({ db, gateway: 'gw', site: 'site', capacityBytes, log: silentLogger(), clock });
}

/** Polls of 100 readings, values counting up: called for polls 0..14 in order below. */
const poll = pollMaker(ids, clock);

describe('a full outbox with batches formed ahead of the uplink (docs/durability.md: events are dropped only when events alone fill it)', () => {
  it('unforms the batches no uplink has taken to make room: keeps the events, and seq goes on without a gap', () => {
    const outbox = open(400_000);
    const drops: DropNotice[] = [];
    outbox.onDrop((d) => drops.push(d));
    // The uplink asked once (4 batches of 100 in flight at most), then the link went down.
    expect(outbox.formBatches(100, 60_000, 4)).toEqual([]);
    // 1,500 readings in one commit: that commit forms batches ahead of the uplink's asks.
    for (let n = 0; n < 15; n++) outbox.appendReadings(poll());
    outbox.flush();
    const telemetryBytes = outbox.stats().telemetry.bytes;
    expect(telemetryBytes).toBeGreaterThan(100_000);
    // Events (alarms) now fill what is left, and then some: telemetry must make room for them.
    const big = 'x'.repeat(20_000);
    const events = Math.ceil((400_000 - telemetryBytes) / 20_000) + 3;
    for (let i = 0; i < events; i++) {
      outbox.appendEvent({
        id: ids(),
        type: 'alarm.raised',
        severity: 'major',
        ts: new Date(clock.now()).toISOString(),
        source: { device: 'cam' },
        data: { big },
      } as never);
      outbox.flush();
    }
    // Telemetry no uplink holds was stored all along: none of the events may go.
    expect(drops.filter((d) => d.lane === 'events')).toEqual([]);
    expect(outbox.stats().events.count).toBe(events);
    // The link comes back: the batches continue from seq 1 without a gap, and what they hold plus
    // what was dropped for capacity is every reading appended, each once.
    expect(outbox.pendingBatches()).toEqual([]);
    const sent: number[] = [];
    let delivered = 0;
    for (let round = 0; round < 50; round++) {
      clock.advance(60_000);
      const batches = outbox.formBatches(100, 60_000, 4);
      if (batches.length === 0) break;
      for (const b of batches) {
        sent.push(b.seq);
        delivered += b.count;
        outbox.ackBatch(b.seq);
      }
    }
    expect(sent).toEqual(sent.map((_, i) => i + 1));
    const dropped = drops.filter((d) => d.lane === 'telemetry').reduce((n, d) => n + d.count, 0);
    expect(delivered + dropped).toBe(1500);
    outbox.close();
  });
});
