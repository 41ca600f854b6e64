import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../gateway/core/clock.js';
import { createIdFactory } from '../../gateway/core/ids.js';
import { silentLogger } from '../../gateway/core/logger.js';
import type { Reading } from '../../gateway/core/model.js';
import { DropRange } from '../../gateway/outbox/drop-range.js';
import type { DropNotice } from '../../gateway/outbox/outbox.js';
import { openGatewayDatabase } from '../../gateway/storage/sqlite-database.js';
import { SqliteOutbox } from '../../gateway/outbox/sqlite-outbox.js';
import { tempDir } from '../helpers/gateway-harness.js';

const ids = createIdFactory();
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('drop ranges', () => {
  it('sum counts and bytes and span the acceptance times given', () => {
    const r = new DropRange();
    expect(r.empty).toBe(true);
    r.add(100, 5000, 2_000).add(50, 2500, 1_000).addSpan(10, 300, 1_500, 3_000);
    expect(r.notice('telemetry', 'capacity')).toEqual({ lane: 'telemetry', reason: 'capacity', count: 160, bytes: 7800, fromMs: 1_000, toMs: 3_000 });
  });

  it('date readings dropped before they were written by their acceptance, not by the device time they carry', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const clock = new ManualClock(Date.parse('2026-11-30T00:00:00.000Z'));
    const { db } = openGatewayDatabase(join(t.dir, 'gridgate.db'), 'FULL', silentLogger());
    // Room for a few readings only: most of one poll cannot be stored at all.
    const outbox = new SqliteOutbox({ db, gateway: 'gw', site: 'site', capacityBytes: 2000, log: silentLogger(), clock, rowReadings: 10 });
    const drops: DropNotice[] = [];
    outbox.onDrop((d) => drops.push(d));
    // A device whose clock is years behind.
    const old = new Date(Date.parse('2020-01-01T00:00:00.000Z')).toISOString();
    const poll: Reading[] = Array.from({ length: 100 }, (_, i) => ({ id: ids(), device: 'm', point: `r${i}`, ts: old, value: i, quality: 'good' }));
    outbox.appendReadings(poll);
    clock.advance(50);
    outbox.flush();
    const dropped = drops.filter((d) => d.lane === 'telemetry' && d.reason === 'capacity');
    expect(dropped.reduce((n, d) => n + d.count, 0) + outbox.stats().telemetry.count).toBe(100);
    expect(dropped.length).toBeGreaterThan(0);
    for (const d of dropped) {
      expect(d.fromMs).toBe(Date.parse('2026-11-30T00:00:00.000Z')); // appended then
      expect(d.toMs).toBe(Date.parse('2026-11-30T00:00:00.050Z')); // committed then
    }
    outbox.close();
  });

  it('a wall-clock step back between acceptance and commit never makes a report with from after to', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const clock = new ManualClock(Date.parse('2026-11-30T00:00:00.000Z'));
    const { db } = openGatewayDatabase(join(t.dir, 'gridgate.db'), 'FULL', silentLogger());
    const outbox = new SqliteOutbox({ db, gateway: 'gw', site: 'site', capacityBytes: 2000, log: silentLogger(), clock, rowReadings: 1 });
    const drops: DropNotice[] = [];
    outbox.onDrop((d) => drops.push(d));
    outbox.appendReadings(
      Array.from({ length: 100 }, (_, i) => ({
        id: ids(),
        device: 'm',
        point: `r${i}`,
        ts: new Date(clock.now()).toISOString(),
        value: i,
        quality: 'good' as const,
      })),
    );
    clock.step(-5000);
    outbox.flush();
    expect(drops.length).toBeGreaterThan(0);
    for (const d of drops) expect(d.fromMs).toBeLessThanOrEqual(d.toMs);
    outbox.close();
  });
});
