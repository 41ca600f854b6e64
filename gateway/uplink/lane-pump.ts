import type { Logger } from 'pino';
import type { BatchingConfig } from '../config/schema/gateway-config.js';
import { type Clock, formatTime } from '../core/clock.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Outbox, StoredEvent, TelemetryBatch } from '../outbox/outbox.js';
import type { PlatformConnection } from './platform-connection.js';
import type { ContractTopics } from './topics.js';

/**
 * What a profile does with what the pump took from the outbox (its encoder and topics); each
 * promise settles when every message carrying the item was acknowledged (PUBACK at QoS 1, the
 * socket write at QoS 0) and rejects when the connection it went on is gone.
 */
export interface LaneSink {
  sendEvent(event: StoredEvent): Promise<void>;
  sendBatch(batch: TelemetryBatch): Promise<void>;
}

interface CommonOptions {
  outbox: Outbox;
  /** Batching in force now (it changes with the site mode). */
  batching: () => BatchingConfig;
  windows: { events: number; telemetryBatches: number };
  metrics: GatewayMetrics;
  log: Logger;
}

/** The v1 contract: the pump encodes telemetry envelopes and events itself, on this connection. */
export interface ContractLaneOptions extends CommonOptions {
  connection: Pick<PlatformConnection, 'publish' | 'currentGeneration'>;
  topics: ContractTopics;
  gateway: string;
  site: string;
  clock: Clock;
}

/** Another profile (Sparkplug B): the pump hands items to the profile's sink. */
export interface SinkLaneOptions extends CommonOptions {
  sink: LaneSink;
  /** Names the profile in log lines. */
  name: string;
}

export type LanePumpOptions = ContractLaneOptions | SinkLaneOptions;

/**
 * How often due telemetry is looked for when nothing else wakes the pump (a commit and each
 * PUBACK do): a quarter of the batching's maxDelayMs, within 50–250 ms, so a partial batch waits
 * at most a quarter more than its maxDelay. A fixed 50 ms was 20 wake-ups a second on an idle box.
 */
export function tickMs(maxDelayMs: number): number {
  return Math.min(250, Math.max(50, Math.floor(maxDelayMs / 4)));
}

/**
 * Moves the outbox's two lanes to the broker, for either upstream profile. Events go first:
 * every pass sends what events the events window allows before forming any telemetry batch, and
 * the telemetry window is small, so a live event waits behind at most `telemetryBatches` batches
 * already on the wire. Messages are forgotten by the outbox only when acknowledged; a new
 * connection (or Sparkplug session, after its births) re-sends everything not acknowledged,
 * oldest first, so the backlog is replayed in order after an outage or a kill -9.
 */
export class LanePump {
  private generation = -1;
  private lastSentEventSeq = 0;
  private eventsInFlight = 0;
  private batchesInFlight = 0;
  private resend: TelemetryBatch[] = [];
  private scheduled = false;
  /** Stopping: a partial batch is sent at once instead of waiting for its maxDelayMs. */
  private draining = false;
  private ticker: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly sink: LaneSink;
  /** The connection generation now, when the pump must check it (v1); Sparkplug's sessions are the uplink's. */
  private readonly current: (() => number) | undefined;
  private readonly name: string;
  /** Readings and events acknowledged so far (the watchdog's progress signal). */
  delivered = 0;

  constructor(private readonly o: LanePumpOptions) {
    if ('sink' in o) {
      this.sink = o.sink;
      this.name = o.name;
    } else {
      this.sink = contractSink(o);
      this.current = () => o.connection.currentGeneration;
      this.name = 'platform';
    }
  }

  start(): void {
    this.unsubscribe = this.o.outbox.onCommit(() => this.schedule());
    this.tick();
  }

  private tick(): void {
    this.ticker = setTimeout(() => {
      this.pump();
      if (this.ticker) this.tick();
    }, tickMs(this.o.batching().maxDelayMs));
    this.ticker.unref();
  }

  /**
   * At an orderly stop, before the offline message: sends what is stored — a partial telemetry
   * batch too — and waits for the broker's acknowledgements, at most `timeoutMs`. What is not
   * acknowledged by then stays in the outbox for the next start (nothing is lost either way).
   */
  async drain(timeoutMs: number): Promise<void> {
    const until = performance.now() + timeoutMs;
    this.draining = true;
    try {
      while (this.generation >= 0 && performance.now() < until) {
        this.pump();
        if (this.eventsInFlight === 0 && this.batchesInFlight === 0) return;
        await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      this.draining = false;
    }
  }

  stop(): void {
    clearTimeout(this.ticker);
    this.ticker = undefined;
    this.unsubscribe?.();
    this.generation = -1;
  }

  /** A new connection (Sparkplug: a new session, births sent): everything not acknowledged is sent again, in order. */
  connected(generation: number): void {
    this.generation = generation;
    this.lastSentEventSeq = 0;
    this.eventsInFlight = 0;
    this.batchesInFlight = 0;
    this.resend = this.o.outbox.pendingBatches();
    this.pump();
  }

  disconnected(): void {
    this.generation = -1;
  }

  /** Sends what the windows allow. Cheap when there is nothing to do. Never throws. */
  pump(): void {
    this.scheduled = false;
    try {
      this.fill();
    } catch (err) {
      // An outbox read failing (disk, corruption) is logged by the outbox; the next tick retries.
      this.o.log.debug({ err, profile: this.name }, 'pump pass failed');
    }
  }

  private fill(): void {
    if (this.generation < 0 || (this.current && this.generation !== this.current())) return;
    const { events, telemetryBatches } = this.o.windows;
    // `generation >= 0` again in the loops: a sink may end its session while sending.
    while (this.generation >= 0 && this.eventsInFlight < events) {
      const want = events - this.eventsInFlight;
      const next = this.o.outbox.readEvents(this.lastSentEventSeq, want);
      for (const e of next) this.sendEvent(e);
      if (next.length < want) break;
    }
    // Events first (contract): while events still wait behind a full events window, no
    // telemetry is sent; the next PUBACK pumps again.
    if (this.eventsInFlight >= events && this.o.outbox.readEvents(this.lastSentEventSeq, 1).length > 0) return;
    while (this.generation >= 0 && this.batchesInFlight < telemetryBatches) {
      const resent = this.resend.shift();
      if (resent) {
        this.sendBatch(resent);
        continue;
      }
      const { maxReadings, maxDelayMs } = this.o.batching();
      const batches = this.o.outbox.formBatches(maxReadings, this.draining ? 0 : maxDelayMs, telemetryBatches - this.batchesInFlight);
      if (batches.length === 0) break;
      for (const batch of batches) this.sendBatch(batch);
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.pump());
  }

  /**
   * A send that throws (a payload the encoder refuses) is logged and left in the outbox: it is
   * tried again on the next connection, never skipped. Losing the connection is not an error here.
   */
  private guard(send: () => Promise<void>, what: string): Promise<void> {
    let sent: Promise<void>;
    try {
      sent = send();
    } catch (err) {
      sent = Promise.reject(err);
    }
    return sent.catch((err: unknown) => {
      if (this.generation >= 0) this.o.log.error({ err, item: what, profile: this.name }, 'message could not be sent: it stays in the outbox');
      throw err;
    });
  }

  private sendEvent(e: StoredEvent): void {
    const generation = this.generation;
    this.lastSentEventSeq = e.seq;
    this.eventsInFlight++;
    const started = performance.now();
    this.guard(() => this.sink.sendEvent(e), `event seq ${e.seq}`).then(
      () => {
        this.o.metrics.publishLatency.observe({ lane: 'events' }, (performance.now() - started) / 1000);
        this.o.metrics.eventsOut.inc();
        this.delivered++;
        this.o.outbox.ackEvent(e.seq);
        if (generation !== this.generation) return;
        this.eventsInFlight--;
        this.schedule();
      },
      // The connection is gone; the next one re-sends from the outbox.
      () => {},
    );
  }

  private sendBatch(batch: TelemetryBatch): void {
    const generation = this.generation;
    this.batchesInFlight++;
    const started = performance.now();
    this.guard(() => this.sink.sendBatch(batch), `telemetry batch seq ${batch.seq}`).then(
      () => {
        this.o.metrics.publishLatency.observe({ lane: 'telemetry' }, (performance.now() - started) / 1000);
        this.o.metrics.readingsOut.inc(batch.count);
        this.delivered += batch.count;
        this.o.outbox.ackBatch(batch.seq);
        if (generation !== this.generation) return;
        this.batchesInFlight--;
        this.schedule();
      },
      () => {},
    );
  }
}

/** The v1 contract's encoder: an event (after its snapshot, if any) and a telemetry envelope per batch. */
function contractSink(o: ContractLaneOptions): LaneSink {
  return {
    sendEvent: (e) => {
      const picture = e.snapshot ? o.connection.publish(o.topics.snapshot(e.id), e.snapshot) : Promise.resolve();
      const event = o.connection.publish(o.topics.events, e.payload);
      return Promise.all([picture, event]).then(() => {});
    },
    sendBatch: (batch) => {
      const head = `{"schema":"gridgate.telemetry/1","gateway":${JSON.stringify(o.gateway)},"site":${JSON.stringify(o.site)},"seq":${batch.seq},"sentAt":"${formatTime(o.clock.now())}","readings":[`;
      return o.connection.publish(o.topics.telemetry, telemetryPayload(head, batch.readings));
    },
  };
}

/**
 * `head` + the runs joined by commas + `]}`, written straight into one Buffer. A joined string
 * was copied twice more (the join, then flattened again by mqtt-packet's byteLength) and was
 * about a fifth of what gridgate allocated on the V8 heap at a nominal site; the Buffer lives
 * outside the heap and is what the socket writes anyway.
 */
export function telemetryPayload(head: string, runs: readonly string[]): Buffer {
  let size = Buffer.byteLength(head) + Math.max(0, runs.length - 1) + 2; // the commas between runs, and "]}"
  for (const run of runs) size += Buffer.byteLength(run);
  const out = Buffer.allocUnsafe(size);
  let at = out.write(head, 0);
  for (let i = 0; i < runs.length; i++) {
    if (i > 0) out[at++] = 0x2c; // ,
    at += out.write(runs[i]!, at);
  }
  out[at++] = 0x5d; // ]
  out[at++] = 0x7d; // }
  return out;
}
