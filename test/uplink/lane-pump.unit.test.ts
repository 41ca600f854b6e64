import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../gateway/core/clock.js';
import { silentLogger } from '../../gateway/core/logger.js';
import { GatewayMetrics } from '../../gateway/observability/metrics.js';
import type { Outbox, OutboxStats, StoredEvent, TelemetryBatch } from '../../gateway/outbox/outbox.js';
import { LanePump, telemetryPayload } from '../../gateway/uplink/lane-pump.js';
import type { PlatformConnection } from '../../gateway/uplink/platform-connection.js';
import { ContractTopics } from '../../gateway/uplink/topics.js';

/**
 * The lane pump through its public methods (connected, disconnected, pump, stop) against an
 * in-memory outbox and a connection whose PUBACKs the test gives by hand: no sockets, no broker.
 * The pump's internals are being optimised; these tests pin what reaches the wire and in what order.
 */

/** An outbox in memory with the Outbox interface's semantics for what the pump uses. */
class MemoryOutbox {
  events: StoredEvent[] = [];
  readings: string[] = [];
  formed: TelemetryBatch[] = [];
  private nextEventSeq = 1;
  private nextBatchSeq = 1;
  readonly ackedEvents: number[] = [];
  readonly ackedBatches: number[] = [];
  failReads = false;
  private listeners = new Set<() => void>();

  addEvents(n: number, snapshot?: Buffer): void {
    for (let i = 0; i < n; i++) {
      const seq = this.nextEventSeq++;
      this.events.push({ seq, id: `ev${seq}`, payload: JSON.stringify({ seq, type: 'crowd.threshold' }), ...(snapshot ? { snapshot } : {}) });
    }
  }
  addReadings(n: number): void {
    for (let i = 0; i < n; i++) this.readings.push(JSON.stringify({ point: `p${this.readings.length}`, value: i }));
  }
  readEvents(afterSeq: number, limit: number): StoredEvent[] {
    if (this.failReads) throw new Error('disk I/O error');
    return this.events.filter((e) => e.seq > afterSeq).slice(0, limit);
  }
  ackEvent(seq: number): void {
    this.ackedEvents.push(seq);
    this.events = this.events.filter((e) => e.seq !== seq);
  }
  pendingBatches(): TelemetryBatch[] {
    return [...this.formed];
  }
  formBatches(maxReadings: number, _maxDelayMs: number, maxBatches: number): TelemetryBatch[] {
    const out: TelemetryBatch[] = [];
    while (out.length < maxBatches && this.readings.length > 0) {
      const readings = this.readings.splice(0, maxReadings);
      const batch = { seq: this.nextBatchSeq++, readings, count: readings.length };
      this.formed.push(batch);
      out.push(batch);
    }
    return out;
  }
  ackBatch(seq: number): void {
    this.ackedBatches.push(seq);
    this.formed = this.formed.filter((b) => b.seq !== seq);
  }
  onCommit(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  commit(): void {
    for (const l of this.listeners) l();
  }
  stats(): OutboxStats {
    throw new Error('not used by the pump');
  }
}

interface Published {
  topic: string;
  payload: string;
  ack: () => void;
  fail: () => void;
}

/** A connection whose publishes wait for the test to acknowledge (PUBACK) or fail them. */
class HandConnection {
  currentGeneration = 1;
  readonly published: Published[] = [];
  private acked = new Set<Published>();
  publish(topic: string, payload: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      const p: Published = { topic, payload: String(payload), ack: () => resolve(), fail: () => reject(new Error('connection lost')) };
      this.published.push(p);
    });
  }
  topics(): string[] {
    return this.published.map((p) => p.topic.slice(topics.root.length + 1));
  }
  /** Acknowledges the oldest n publishes not yet acknowledged. */
  ackOldest(n: number): void {
    for (const p of this.published.filter((x) => !this.acked.has(x)).slice(0, n)) {
      this.acked.add(p);
      p.ack();
    }
  }
  unacked(): Published[] {
    return this.published.filter((p) => !this.acked.has(p));
  }
}

const topics = new ContractTopics('gridgate/v1', 'site-a', 'gw-1');
const pumps: LanePump[] = [];
afterEach(() => {
  for (const p of pumps.splice(0)) p.stop();
});

function setup(windows = { events: 4, telemetryBatches: 2 }, maxReadings = 10) {
  const outbox = new MemoryOutbox();
  const connection = new HandConnection();
  const pump = new LanePump({
    outbox: outbox as unknown as Outbox,
    connection: connection as unknown as PlatformConnection,
    topics,
    gateway: 'gw-1',
    site: 'site-a',
    batching: () => ({ maxReadings, maxDelayMs: 0 }),
    windows,
    metrics: new GatewayMetrics({ processMetrics: false }),
    clock: new ManualClock(Date.parse('2026-12-31T16:00:00.000Z')),
    log: silentLogger(),
  });
  pumps.push(pump);
  return { outbox, connection, pump };
}

describe('the lane pump', () => {
  it('sends events before any telemetry batch', () => {
    const { outbox, connection, pump } = setup();
    outbox.addReadings(15);
    outbox.addEvents(3);
    pump.connected(1);
    expect(connection.topics()).toEqual(['events', 'events', 'events', 'telemetry', 'telemetry']);
    expect(connection.published.slice(0, 3).map((p) => JSON.parse(p.payload).seq)).toEqual([1, 2, 3]);
  });

  it('keeps at most the events window in flight, and sends no telemetry while events wait behind it', async () => {
    const { outbox, connection, pump } = setup({ events: 4, telemetryBatches: 2 });
    outbox.addEvents(10);
    outbox.addReadings(30);
    pump.connected(1);
    expect(connection.topics()).toEqual(['events', 'events', 'events', 'events']);
    pump.pump();
    expect(connection.published).toHaveLength(4);

    connection.ackOldest(1);
    await vi.waitFor(() => expect(connection.published).toHaveLength(5));
    expect(connection.unacked()).toHaveLength(4);
    expect(connection.topics().includes('telemetry')).toBe(false);
    expect(outbox.ackedEvents).toEqual([1]);

    // All events out and acknowledged: now telemetry, two batches at a time.
    while (outbox.events.length > 0) {
      const inFlight = connection.unacked().filter((p) => p.topic === topics.events);
      for (const p of inFlight) p.ack();
      await vi.waitFor(() => expect(outbox.ackedEvents.length).toBeGreaterThanOrEqual(inFlight.length));
      await vi.waitFor(() => expect(connection.unacked().length > 0 || outbox.events.length === 0).toBe(true));
    }
    await vi.waitFor(() => expect(connection.topics().filter((t) => t === 'telemetry')).toHaveLength(2));
    pump.pump();
    expect(connection.topics().filter((t) => t === 'telemetry')).toHaveLength(2);
    expect(connection.topics().filter((t) => t === 'events')).toHaveLength(10);
    expect(connection.topics().indexOf('telemetry')).toBe(10);
  });

  it('keeps at most the telemetry window of batches in flight, each of at most maxReadings', async () => {
    const { outbox, connection, pump } = setup({ events: 4, telemetryBatches: 2 }, 10);
    outbox.addReadings(45);
    pump.connected(1);
    expect(connection.published).toHaveLength(2);
    connection.ackOldest(1);
    await vi.waitFor(() => expect(connection.published).toHaveLength(3));
    expect(connection.unacked()).toHaveLength(2);
    for (let i = 0; i < 3; i++) {
      connection.ackOldest(2);
      await vi.waitFor(() => expect(outbox.readings.length === 0 || connection.unacked().length === 2).toBe(true));
    }
    connection.ackOldest(2);
    await vi.waitFor(() => expect(outbox.ackedBatches).toEqual([1, 2, 3, 4, 5]));
    const sizes = connection.published.map((p) => JSON.parse(p.payload).readings.length);
    expect(sizes).toEqual([10, 10, 10, 10, 5]);
  });

  it('wraps a batch in the contract telemetry envelope with the batch seq', () => {
    const { outbox, connection, pump } = setup();
    outbox.addReadings(3);
    pump.connected(1);
    const msg = JSON.parse(connection.published[0]!.payload);
    expect(msg).toEqual({
      schema: 'gridgate.telemetry/1',
      gateway: 'gw-1',
      site: 'site-a',
      seq: 1,
      sentAt: '2026-12-31T16:00:00.000Z',
      readings: [
        { point: 'p0', value: 0 },
        { point: 'p1', value: 1 },
        { point: 'p2', value: 2 },
      ],
    });
    expect(connection.published[0]!.topic).toBe('gridgate/v1/site-a/gw-1/telemetry');
  });

  it('publishes an event snapshot before the event, and forgets the event only when both are acknowledged', async () => {
    const { outbox, connection, pump } = setup();
    outbox.addEvents(1, Buffer.from([0xff, 0xd8, 0xff]));
    pump.connected(1);
    expect(connection.topics()).toEqual(['snapshots/ev1', 'events']);
    connection.published[1]!.ack();
    await Promise.resolve();
    expect(outbox.ackedEvents).toEqual([]);
    connection.published[0]!.ack();
    await vi.waitFor(() => expect(outbox.ackedEvents).toEqual([1]));
  });

  it('sends nothing while disconnected, nor on a connection that is not the current one', () => {
    const { outbox, connection, pump } = setup();
    outbox.addEvents(2);
    outbox.addReadings(2);
    pump.pump();
    expect(connection.published).toHaveLength(0);
    connection.currentGeneration = 2;
    pump.connected(1);
    expect(connection.published).toHaveLength(0);
    pump.connected(2);
    expect(connection.published).toHaveLength(3);
    pump.disconnected();
    outbox.addEvents(1);
    pump.pump();
    expect(connection.published).toHaveLength(3);
  });

  it('sends everything unacknowledged again on a new connection, in order, batches with their seq', async () => {
    const { outbox, connection, pump } = setup({ events: 4, telemetryBatches: 2 });
    outbox.addEvents(3);
    outbox.addReadings(20);
    pump.connected(1);
    expect(connection.published).toHaveLength(5);
    // The first event gets its PUBACK; then the link drops and the rest fail.
    connection.ackOldest(1);
    await vi.waitFor(() => expect(outbox.ackedEvents).toEqual([1]));
    pump.disconnected();
    for (const p of connection.unacked()) p.fail();
    connection.currentGeneration = 2;
    const before = connection.published.length;
    pump.connected(2);
    const again = connection.published.slice(before);
    expect(again.map((p) => [p.topic.split('/').pop(), JSON.parse(p.payload).seq])).toEqual([
      ['events', 2],
      ['events', 3],
      ['telemetry', 1],
      ['telemetry', 2],
    ]);
  });

  it('wakes on an outbox commit without a timer', async () => {
    const { outbox, connection, pump } = setup();
    pump.start();
    pump.connected(1);
    outbox.addEvents(1);
    outbox.commit();
    await vi.waitFor(() => expect(connection.topics()).toEqual(['events']));
  });

  it('never throws when the outbox cannot be read; the next pass sends', () => {
    const { outbox, connection, pump } = setup();
    outbox.addEvents(1);
    outbox.failReads = true;
    expect(() => pump.connected(1)).not.toThrow();
    expect(connection.published).toHaveLength(0);
    outbox.failReads = false;
    pump.pump();
    expect(connection.topics()).toEqual(['events']);
  });

  it('counts what was delivered (the watchdog progress signal)', async () => {
    const { outbox, connection, pump } = setup();
    outbox.addEvents(2);
    outbox.addReadings(7);
    pump.connected(1);
    connection.ackOldest(connection.published.length);
    await vi.waitFor(() => expect(pump.delivered).toBe(9));
  });
});

describe('the telemetry payload', () => {
  it('is the head, the runs joined by commas and "]}", as UTF-8 bytes (multi-byte names too)', () => {
    const head = '{"schema":"gridgate.telemetry/1","gateway":"网关-1","readings":[';
    const runs = ['{"device":"北门","value":1},{"device":"北门","value":2}', '{"device":"dev\\"q","value":3}', '{"value":"ü€😀"}'];
    const payload = telemetryPayload(head, runs);
    expect(payload.toString('utf8')).toBe(`${head}${runs.join(',')}]}`);
    expect(payload.length).toBe(Buffer.byteLength(`${head}${runs.join(',')}]}`));
    expect(JSON.parse(payload.toString('utf8')).readings).toHaveLength(4);
    expect(telemetryPayload('{"readings":[', ['{"a":1}']).toString()).toBe('{"readings":[{"a":1}]}');
    expect(telemetryPayload('{"readings":[', []).toString()).toBe('{"readings":[]}');
  });
});
