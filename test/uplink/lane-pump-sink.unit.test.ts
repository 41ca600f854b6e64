import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../gateway/core/logger.js';
import { GatewayMetrics } from '../../gateway/observability/metrics.js';
import type { Outbox, StoredEvent, TelemetryBatch } from '../../gateway/outbox/outbox.js';
import { type LaneSink, LanePump } from '../../gateway/uplink/lane-pump.js';

/**
 * The lane pump with a profile's own sink (how the Sparkplug profile uses it: its encoder turns
 * items into DDATA/NDATA). lane-pump.unit.test.ts pins the v1 contract's wire; this pins what is
 * the pump's whatever the encoder: windows, events first, forget on acknowledgement only, an
 * encoder that throws leaves the item in the outbox. No sockets, no broker.
 */

/** Just the outbox calls the pump makes, in memory. */
function memoryOutbox(events: number, batches: number) {
  const state = {
    events: Array.from({ length: events }, (_, i): StoredEvent => ({ seq: i + 1, id: `ev${i + 1}`, payload: `{"seq":${i + 1}}` })),
    due: Array.from({ length: batches }, (_, i): TelemetryBatch => ({ seq: i + 1, readings: [`{"v":${i}}`], count: 1 })),
    formed: [] as TelemetryBatch[],
    ackedEvents: [] as number[],
    ackedBatches: [] as number[],
  };
  const outbox = {
    readEvents: (after: number, limit: number) => state.events.filter((e) => e.seq > after).slice(0, limit),
    ackEvent: (seq: number) => {
      state.ackedEvents.push(seq);
      state.events = state.events.filter((e) => e.seq !== seq);
    },
    pendingBatches: () => [...state.formed],
    formBatches: (_max: number, _delay: number, n: number) => {
      const out = state.due.splice(0, n);
      state.formed.push(...out);
      return out;
    },
    ackBatch: (seq: number) => {
      state.ackedBatches.push(seq);
      state.formed = state.formed.filter((b) => b.seq !== seq);
    },
    onCommit: () => () => {},
  };
  return { state, outbox: outbox as unknown as Outbox };
}

/** A sink whose messages wait for the test; `refuse` makes the encoder throw for those items. */
function handSink() {
  const sent: Array<{ what: string; ack: () => void; fail: () => void }> = [];
  const refuse = new Set<string>();
  const take = (what: string) => {
    if (refuse.has(what)) throw new Error(`encoder refuses ${what}`);
    return new Promise<void>((resolve, reject) => sent.push({ what, ack: resolve, fail: () => reject(new Error('session gone')) }));
  };
  const sink: LaneSink = { sendEvent: (e) => take(`e${e.seq}`), sendBatch: (b) => take(`b${b.seq}`) };
  return { sink, sent, refuse, names: () => sent.map((s) => s.what) };
}

const pumps: LanePump[] = [];
afterEach(() => {
  for (const p of pumps.splice(0)) p.stop();
});

function setup(events: number, batches: number, windows = { events: 2, telemetryBatches: 1 }) {
  const { state, outbox } = memoryOutbox(events, batches);
  const hand = handSink();
  const log = silentLogger();
  const errors = vi.spyOn(log, 'error');
  const pump = new LanePump({
    outbox,
    sink: hand.sink,
    name: 'test-profile',
    batching: () => ({ maxReadings: 10, maxDelayMs: 0 }),
    windows,
    metrics: new GatewayMetrics({ processMetrics: false }),
    log,
  });
  pumps.push(pump);
  return { state, hand, pump, errors };
}

describe('the lane pump with a profile sink', () => {
  it('sends nothing before a session, then events first within the windows', () => {
    const { hand, pump } = setup(3, 2);
    pump.pump();
    expect(hand.sent).toHaveLength(0);
    pump.connected(1);
    expect(hand.names()).toEqual(['e1', 'e2']);
  });

  it('forgets an item only when its sink promise settles, and moves on within the windows', async () => {
    const { state, hand, pump } = setup(4, 2);
    pump.connected(1);
    expect(hand.names()).toEqual(['e1', 'e2']);
    hand.sent[0]!.ack();
    // e3 goes out; no telemetry while e4 still waits behind the full events window.
    await vi.waitFor(() => expect(hand.names()).toEqual(['e1', 'e2', 'e3']));
    expect(state.ackedEvents).toEqual([1]);
    hand.sent[1]!.ack();
    // e4 goes out and no event waits any more: telemetry follows, one batch (its window).
    await vi.waitFor(() => expect(hand.names()).toEqual(['e1', 'e2', 'e3', 'e4', 'b1']));
    expect(state.ackedEvents).toEqual([1, 2]);
    hand.sent[4]!.ack();
    await vi.waitFor(() => expect(hand.names()).toEqual(['e1', 'e2', 'e3', 'e4', 'b1', 'b2']));
    expect(state.ackedBatches).toEqual([1]);
    for (const i of [2, 3, 5]) hand.sent[i]!.ack();
    await vi.waitFor(() => expect(pump.delivered).toBe(6));
    expect(state.ackedEvents).toEqual([1, 2, 3, 4]);
    expect(state.ackedBatches).toEqual([1, 2]);
  });

  it('an encoder that throws leaves the item in the outbox, logged once; the next session sends it again', async () => {
    const { state, hand, pump, errors } = setup(2, 0);
    hand.refuse.add('e1');
    pump.connected(1);
    expect(hand.names()).toEqual(['e2']);
    await vi.waitFor(() => expect(errors).toHaveBeenCalledTimes(1));
    expect(errors.mock.calls[0]![0]).toMatchObject({ item: 'event seq 1', profile: 'test-profile' });
    hand.sent[0]!.ack();
    await vi.waitFor(() => expect(state.ackedEvents).toEqual([2]));
    expect(state.events.map((e) => e.seq)).toEqual([1]);
    hand.refuse.clear();
    pump.disconnected();
    pump.connected(2);
    expect(hand.names()).toEqual(['e2', 'e1']);
  });

  it('a session ending mid-flight: nothing is forgotten, nothing logged, all re-sent in order on the next', async () => {
    const { state, hand, pump, errors } = setup(2, 1, { events: 4, telemetryBatches: 1 });
    pump.connected(1);
    expect(hand.names()).toEqual(['e1', 'e2', 'b1']);
    pump.disconnected();
    for (const s of hand.sent) s.fail();
    // Every promise handler has run by the next turn of the event loop.
    await new Promise((r) => setImmediate(r));
    pump.connected(2);
    expect(hand.names().slice(3)).toEqual(['e1', 'e2', 'b1']);
    expect(state.ackedEvents).toEqual([]);
    expect(errors).not.toHaveBeenCalled();
  });
});
