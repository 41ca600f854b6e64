import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Clock, ManualClock } from '../../gateway/core/clock.js';
import { createIdFactory } from '../../gateway/core/ids.js';
import type { GatewayEvent, Reading } from '../../gateway/core/model.js';
import type { DropNotice, Outbox, TelemetryBatch } from '../../gateway/outbox/outbox.js';
import { tempDir } from '../helpers/gateway-harness.js';

/**
 * The outbox conformance suite (issue 15): the behaviour every `Outbox` must show, written only
 * against the interface in gateway/outbox/outbox.ts and the Delivery section of contract/README.md.
 * An implementation runs it with one `describeOutboxConformance` call per configuration
 * (see sqlite-outbox.conformance.test.ts).
 */

/** What the suite gives an implementation when it opens a store. */
export interface OutboxEnv {
  /** All time the outbox reads (wall stamps and monotonic durations); the suite moves it. */
  clock: Clock;
  /** Payload bytes the outbox may hold. */
  capacityBytes: number;
}

/**
 * Opens the outbox stored at `path` (a file path in a fresh temporary folder the suite owns and
 * removes). Called again with the same path after `close()`, it must open the same data: that
 * is how the suite checks durability and seq continuity across restarts.
 */
export type OpenOutbox = (path: string, env: OutboxEnv) => Outbox;

const START = Date.parse('2026-11-30T00:00:00.000Z');
/** Big enough that nothing is dropped, except in the capacity test. */
const ROOMY = 64 * 1024 * 1024;
/** A maxDelayMs no test reaches unless it says so. */
const LONG = 3_600_000;

const ids = createIdFactory();

export function describeOutboxConformance(name: string, open: OpenOutbox): void {
  describe(`outbox conformance: ${name}`, () => {
    const cleanups: Array<() => void> = [];
    afterEach(() => {
      for (const c of cleanups.splice(0)) c();
    });

    /** A fresh store; `reopen` closes the outbox and opens the same store again. */
    function fresh(capacityBytes = ROOMY) {
      const t = tempDir('gridgate-conformance-');
      const path = join(t.dir, 'outbox.db');
      const clock = new ManualClock(START);
      const env: OutboxEnv = { clock, capacityBytes };
      let current = open(path, env);
      cleanups.push(() => {
        current.close();
        t.cleanup();
      });
      return {
        clock,
        get outbox(): Outbox {
          return current;
        },
        /** A restart: closes the outbox and opens the same store again. */
        reopen(): Outbox {
          current.close();
          current = open(path, env);
          return current;
        },
      };
    }

    const reading = (clock: ManualClock, value: number): Reading => ({
      id: ids(),
      device: 'dev-1',
      point: 'p',
      ts: new Date(clock.now()).toISOString(),
      value,
      quality: 'good',
    });
    const event = (clock: ManualClock, type = 'motion'): GatewayEvent => ({
      id: ids(),
      ts: new Date(clock.now()).toISOString(),
      type,
      severity: 'info',
      state: 'pulse',
      mode: 'normal',
      source: { device: 'dev-1' },
    });
    /** `n` readings with values from..from+n-1, appended in polls of `poll` readings, each poll committed. */
    const appendValues = (outbox: Outbox, clock: ManualClock, from: number, n: number, poll = 5) => {
      for (let i = 0; i < n; i += poll) {
        outbox.appendReadings(Array.from({ length: Math.min(poll, n - i) }, (_, k) => reading(clock, from + i + k)));
        outbox.flush();
      }
    };
    /** The readings a batch's runs hold, parsed (the runs joined into one JSON array). */
    const parsed = (b: TelemetryBatch) => JSON.parse(`[${b.readings.join(',')}]`) as Reading[];
    const values = (batches: TelemetryBatch[]) => batches.flatMap((b) => parsed(b).map((r) => r.value));
    const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

    describe('events', () => {
      it('get seq 1, 2, 3 in acceptance order; each payload is the contract JSON with its id and seq', () => {
        const { outbox, clock } = fresh();
        const accepted = [event(clock, 'a'), event(clock, 'b'), event(clock, 'c')];
        for (const e of accepted) outbox.appendEvent(e);
        const read = outbox.readEvents(0, 10);
        expect(read.map((e) => e.seq)).toEqual([1, 2, 3]);
        expect(read.map((e) => e.id)).toEqual(accepted.map((e) => e.id));
        for (const [i, e] of read.entries()) expect(JSON.parse(e.payload)).toMatchObject({ id: accepted[i]!.id, seq: i + 1, type: accepted[i]!.type });
        expect(outbox.stats().nextSeq.events).toBe(4);
      });

      it('are kept until acked; ackEvent forgets exactly that one, also after a restart', () => {
        const s = fresh();
        for (let i = 0; i < 3; i++) s.outbox.appendEvent(event(s.clock));
        expect(s.outbox.readEvents(0, 10).map((e) => e.seq)).toEqual([1, 2, 3]);
        // Read again without an ack: still there.
        expect(s.outbox.readEvents(0, 10).map((e) => e.seq)).toEqual([1, 2, 3]);
        s.outbox.ackEvent(2);
        expect(s.outbox.readEvents(0, 10).map((e) => e.seq)).toEqual([1, 3]);
        expect(
          s
            .reopen()
            .readEvents(0, 10)
            .map((e) => e.seq),
        ).toEqual([1, 3]);
      });

      it('readEvents(afterSeq, limit) returns only seq > afterSeq, oldest first, at most limit', () => {
        const { outbox, clock } = fresh();
        for (let i = 0; i < 5; i++) outbox.appendEvent(event(clock));
        expect(outbox.readEvents(2, 2).map((e) => e.seq)).toEqual([3, 4]);
        expect(outbox.readEvents(3, 10).map((e) => e.seq)).toEqual([4, 5]);
        expect(outbox.readEvents(0, 1).map((e) => e.seq)).toEqual([1]);
        expect(outbox.readEvents(5, 10)).toEqual([]);
      });

      it('carry their own snapshot (and only theirs), also after a restart', () => {
        const s = fresh();
        const picture = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46]);
        s.outbox.appendEvent(event(s.clock));
        s.outbox.appendEvent(event(s.clock), picture);
        s.outbox.appendEvent(event(s.clock));
        expect(s.outbox.readEvents(0, 10).map((e) => e.snapshot)).toEqual([undefined, picture, undefined]);
        expect(
          s
            .reopen()
            .readEvents(0, 10)
            .map((e) => e.snapshot),
        ).toEqual([undefined, picture, undefined]);
        // An ack takes the snapshot with its event.
        s.outbox.ackEvent(2);
        expect(s.outbox.readEvents(0, 10).map((e) => e.snapshot)).toEqual([undefined, undefined]);
      });
    });

    describe('telemetry batches', () => {
      it('a batch is due when maxReadings wait: readings in order, seq 1 then 2, the rest waits', () => {
        const { outbox, clock } = fresh();
        appendValues(outbox, clock, 0, 25);
        const first = outbox.formBatch(10, LONG)!;
        const second = outbox.formBatch(10, LONG)!;
        expect([first.seq, second.seq]).toEqual([1, 2]);
        expect([first.count, second.count]).toEqual([10, 10]);
        expect(values([first, second])).toEqual(range(0, 20));
        // 5 wait, fewer than maxReadings and not old enough.
        expect(outbox.formBatch(10, LONG)).toBeUndefined();
      });

      it('a batch is due when the oldest waiting reading was accepted maxDelayMs ago, on the monotonic clock', () => {
        const { outbox, clock } = fresh();
        appendValues(outbox, clock, 0, 3);
        expect(outbox.formBatch(100, 1000)).toBeUndefined();
        // A wall-clock step (NTP, an operator) is not time passing.
        clock.step(2 * LONG);
        expect(outbox.formBatch(100, 1000)).toBeUndefined();
        clock.advance(999);
        expect(outbox.formBatch(100, 1000)).toBeUndefined();
        clock.advance(1);
        const batch = outbox.formBatch(100, 1000)!;
        expect(batch.seq).toBe(1);
        expect(values([batch])).toEqual([0, 1, 2]);
        expect(outbox.formBatch(100, 0)).toBeUndefined(); // nothing waits
      });

      it('readings accepted but not committed yet count towards maxReadings and age towards maxDelayMs', () => {
        const { outbox, clock } = fresh();
        outbox.appendReadings(range(0, 10).map((v) => reading(clock, v)));
        expect(outbox.formBatch(10, LONG)?.count).toBe(10);
        outbox.appendReadings([reading(clock, 10)]);
        clock.advance(1000);
        const late = outbox.formBatch(100, 1000)!;
        expect([late.seq, ...values([late])]).toEqual([2, 10]);
      });

      it('count is the number of readings the runs hold, each reading in exactly one batch', () => {
        const { outbox, clock } = fresh();
        appendValues(outbox, clock, 0, 37, 7);
        const batches = [outbox.formBatch(14, LONG)!, outbox.formBatch(14, LONG)!, outbox.formBatch(14, 0)!];
        for (const b of batches) expect(b.count).toBe(parsed(b).length);
        expect(values(batches)).toEqual(range(0, 37));
        expect(new Set(batches.flatMap((b) => parsed(b).map((r) => r.id))).size).toBe(37);
        expect(batches.map((b) => b.seq)).toEqual([1, 2, 3]);
      });

      it('a formed batch is listed again by pendingBatches after a restart, same seq and readings; ackBatch forgets it', () => {
        const s = fresh();
        appendValues(s.outbox, s.clock, 0, 20);
        const first = s.outbox.formBatch(10, LONG)!;
        const second = s.outbox.formBatch(10, LONG)!;
        const o = s.reopen();
        expect(o.pendingBatches()).toEqual([first, second]);
        o.ackBatch(first.seq);
        expect(o.pendingBatches()).toEqual([second]);
        expect(s.reopen().pendingBatches()).toEqual([second]);
      });

      it('seq goes up by exactly 1 per batch, across restarts', () => {
        const s = fresh();
        appendValues(s.outbox, s.clock, 0, 10);
        expect(s.outbox.formBatch(10, LONG)?.seq).toBe(1);
        s.outbox.ackBatch(1);
        let o = s.reopen();
        appendValues(o, s.clock, 10, 10);
        expect(o.formBatch(10, LONG)?.seq).toBe(2);
        o = s.reopen();
        appendValues(o, s.clock, 20, 10);
        expect(o.formBatch(10, LONG)?.seq).toBe(3);
        expect(o.stats().nextSeq.telemetry).toBe(4);
      });
    });

    describe('durability', () => {
      it('nothing flushed or committed() is lost across close and reopen', async () => {
        const s = fresh();
        const events = [event(s.clock), event(s.clock)];
        s.outbox.appendEvent(events[0]!);
        s.outbox.appendReadings([reading(s.clock, 0), reading(s.clock, 1)]);
        s.outbox.flush();
        s.outbox.appendEvent(events[1]!);
        s.outbox.appendReadings([reading(s.clock, 2)]);
        await s.outbox.committed();
        const o = s.reopen();
        expect(o.readEvents(0, 10).map((e) => e.id)).toEqual(events.map((e) => e.id));
        expect(values([o.formBatch(100, 0)!])).toEqual([0, 1, 2]);
      });

      it('seq is never reused after a restart, even when everything was acked', () => {
        const s = fresh();
        s.outbox.appendEvent(event(s.clock));
        s.outbox.appendEvent(event(s.clock));
        for (const e of s.outbox.readEvents(0, 10)) s.outbox.ackEvent(e.seq);
        appendValues(s.outbox, s.clock, 0, 2);
        s.outbox.ackBatch(s.outbox.formBatch(100, 0)!.seq);
        s.outbox.flush();
        const o = s.reopen();
        expect(o.readEvents(0, 10)).toEqual([]);
        expect(o.pendingBatches()).toEqual([]);
        expect(o.stats().nextSeq).toEqual({ events: 3, telemetry: 2 });
        o.appendEvent(event(s.clock));
        expect(o.readEvents(0, 10).map((e) => e.seq)).toEqual([3]);
        appendValues(o, s.clock, 2, 1);
        expect(o.formBatch(100, 0)?.seq).toBe(2);
      });

      it('committed() resolves once a flush has committed what was accepted, and at once when nothing waits', async () => {
        const { outbox, clock } = fresh();
        await expect(outbox.committed()).resolves.toBeUndefined();
        outbox.appendEvent(event(clock));
        outbox.appendReadings([reading(clock, 0)]);
        const done = outbox.committed();
        outbox.flush();
        await expect(done).resolves.toBeUndefined();
        expect(outbox.stats()).toMatchObject({ events: { count: 1 }, telemetry: { count: 1 } });
      });
    });

    describe('notifications and stats', () => {
      it('onCommit fires after a commit that added data, until unsubscribed', () => {
        const { outbox, clock } = fresh();
        let calls = 0;
        const off = outbox.onCommit(() => calls++);
        outbox.appendEvent(event(clock));
        outbox.flush();
        expect(calls).toBeGreaterThanOrEqual(1);
        const afterEvent = calls;
        outbox.appendReadings([reading(clock, 0)]);
        outbox.flush();
        expect(calls).toBeGreaterThan(afterEvent);
        off();
        const before = calls;
        outbox.appendEvent(event(clock));
        outbox.flush();
        expect(calls).toBe(before);
      });

      it('stats count and bytes go up on append and down on ack, per lane', () => {
        const { outbox, clock } = fresh();
        const empty = outbox.stats();
        expect(empty).toMatchObject({
          events: { count: 0, bytes: 0 },
          telemetry: { count: 0, bytes: 0 },
          nextSeq: { events: 1, telemetry: 1 },
          dropped: { events: 0, telemetry: 0 },
        });
        outbox.appendEvent(event(clock));
        outbox.appendEvent(event(clock), Buffer.alloc(1000, 7));
        appendValues(outbox, clock, 0, 10);
        const full = outbox.stats();
        expect(full.events.count).toBe(2);
        expect(full.events.bytes).toBeGreaterThan(1000); // the snapshot's bytes count
        expect(full.telemetry.count).toBe(10);
        expect(full.telemetry.bytes).toBeGreaterThan(0);
        expect(full.telemetry.oldestMs).toBe(START);
        outbox.ackEvent(2);
        const batch = outbox.formBatch(10, LONG)!;
        outbox.ackBatch(batch.seq);
        outbox.flush();
        const after = outbox.stats();
        expect(after.events.count).toBe(1);
        expect(after.events.bytes).toBeLessThan(full.events.bytes - 1000);
        expect(after.telemetry).toEqual({ count: 0, bytes: 0 });
        expect(after.nextSeq).toEqual({ events: 3, telemetry: 2 });
      });
    });

    describe('capacity', () => {
      it('drops the oldest telemetry first, keeps events, and reports each drop with a count and a time range', () => {
        const capacityBytes = 4000;
        const { outbox, clock } = fresh(capacityBytes);
        const drops: DropNotice[] = [];
        outbox.onDrop((d) => drops.push(d));
        outbox.appendEvent(event(clock));
        outbox.appendEvent(event(clock));
        outbox.flush();
        for (let poll = 0; poll < 10; poll++) {
          appendValues(outbox, clock, poll * 10, 10, 10);
          clock.advance(1000);
        }
        const stats = outbox.stats();
        expect(stats.events.count).toBe(2);
        expect(outbox.readEvents(0, 10).map((e) => e.seq)).toEqual([1, 2]);
        expect(stats.events.bytes + stats.telemetry.bytes).toBeLessThanOrEqual(capacityBytes);
        expect(drops.length).toBeGreaterThan(0);
        for (const d of drops) {
          expect(d).toMatchObject({ lane: 'telemetry', reason: 'capacity' });
          expect(d.count).toBeGreaterThan(0);
          expect(d.fromMs).toBeLessThanOrEqual(d.toMs);
          expect(d.fromMs).toBeGreaterThanOrEqual(START);
          expect(d.toMs).toBeLessThanOrEqual(clock.now());
        }
        const dropped = drops.reduce((n, d) => n + d.count, 0);
        expect(stats.dropped).toEqual({ telemetry: dropped, events: 0 });
        expect(dropped + stats.telemetry.count).toBe(100);
        // What is left is the newest, in order, with no hole.
        expect(values([outbox.formBatch(1000, 0)!])).toEqual(range(dropped, 100 - dropped));
        // The first drop took the oldest: it starts when the first readings were accepted.
        expect(drops[0]!.fromMs).toBe(START);
      });

      it('keeps a formed batch whole when full: its seq and readings are sent again as they were', () => {
        const capacityBytes = 4000;
        const { outbox, clock } = fresh(capacityBytes);
        appendValues(outbox, clock, 0, 10, 1);
        const batch = outbox.formBatch(10, LONG)!;
        appendValues(outbox, clock, 10, 100, 1);
        expect(outbox.pendingBatches()[0]).toEqual(batch);
        const stats = outbox.stats();
        expect(stats.events.bytes + stats.telemetry.bytes).toBeLessThanOrEqual(capacityBytes);
        expect(stats.dropped.telemetry).toBeGreaterThan(0);
      });

      it('drops the oldest events only when events alone fill it, and reports them on the events lane', () => {
        const capacityBytes = 4000;
        const { outbox, clock } = fresh(capacityBytes);
        const drops: DropNotice[] = [];
        outbox.onDrop((d) => drops.push(d));
        for (let i = 0; i < 10; i++) {
          outbox.appendEvent(event(clock), Buffer.alloc(1000, i));
          outbox.flush();
        }
        const seqs = outbox.readEvents(0, 100).map((e) => e.seq);
        expect(seqs.length).toBeGreaterThan(0);
        expect(seqs).toEqual(range(11 - seqs.length, seqs.length)); // the newest, no hole
        const dropped = drops.reduce((n, d) => n + d.count, 0);
        expect(dropped).toBe(10 - seqs.length);
        for (const d of drops) expect(d).toMatchObject({ lane: 'events', reason: 'capacity' });
        expect(outbox.stats().dropped).toEqual({ telemetry: 0, events: dropped });
      });
    });
  });
}
