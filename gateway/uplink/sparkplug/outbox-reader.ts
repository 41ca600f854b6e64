import type { Logger } from 'pino';
import type { BatchingConfig } from '../../config/schema/gateway-config.js';
import type { GatewayMetrics } from '../../observability/metrics.js';
import type { Outbox, StoredEvent, TelemetryBatch } from '../../outbox/outbox.js';

/** Where the reader hands what it took from the outbox; each promise settles on PUBACK (or on the socket write at QoS 0). */
export interface SparkplugSink {
  sendEvent(event: StoredEvent): Promise<void>;
  sendBatch(batch: TelemetryBatch): Promise<void>;
}

export interface OutboxReaderOptions {
  outbox: Outbox;
  sink: SparkplugSink;
  batching: () => BatchingConfig;
  windows: { events: number; telemetryBatches: number };
  metrics: GatewayMetrics;
  log: Logger;
}

const TICK_MS = 50;

/**
 * The Sparkplug lane consumer: reads the outbox through its ordinary interface, as the v1 lane
 * pump does, and forgets an item only when every message carrying it was acknowledged. Runs only
 * inside a Sparkplug session (after the births); a new session re-sends everything not yet
 * acknowledged, oldest first, so the backlog is replayed in order after an outage or a kill -9.
 */
export class OutboxReader {
  private session = -1;
  private lastSentEventSeq = 0;
  private eventsInFlight = 0;
  private batchesInFlight = 0;
  private resend: TelemetryBatch[] = [];
  private scheduled = false;
  private ticker: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  delivered = 0;

  constructor(private readonly o: OutboxReaderOptions) {}

  start(): void {
    this.unsubscribe = this.o.outbox.onCommit(() => this.schedule());
    this.ticker = setInterval(() => this.pump(), TICK_MS);
    this.ticker.unref();
  }

  stop(): void {
    clearInterval(this.ticker);
    this.unsubscribe?.();
    this.session = -1;
  }

  /** A new Sparkplug session (births sent): start over from what the outbox still holds. */
  resume(session: number): void {
    this.session = session;
    this.lastSentEventSeq = 0;
    this.eventsInFlight = 0;
    this.batchesInFlight = 0;
    this.resend = this.o.outbox.pendingBatches();
    this.pump();
  }

  pause(): void {
    this.session = -1;
  }

  pump(): void {
    this.scheduled = false;
    if (this.session < 0) return;
    try {
      this.fill();
    } catch (err) {
      this.o.log.debug({ err }, 'sparkplug pump pass failed');
    }
  }

  private fill(): void {
    const { events, telemetryBatches } = this.o.windows;
    while (this.session >= 0 && this.eventsInFlight < events) {
      const want = events - this.eventsInFlight;
      const next = this.o.outbox.readEvents(this.lastSentEventSeq, want);
      for (const e of next) this.sendEvent(e);
      if (next.length < want) break;
    }
    // Events go first, as in the v1 contract.
    if (this.eventsInFlight >= events && this.o.outbox.readEvents(this.lastSentEventSeq, 1).length > 0) return;
    while (this.session >= 0 && this.batchesInFlight < telemetryBatches) {
      const resent = this.resend.shift();
      if (resent) {
        this.sendBatch(resent);
        continue;
      }
      const { maxReadings, maxDelayMs } = this.o.batching();
      const batches = this.o.outbox.formBatches(maxReadings, maxDelayMs, telemetryBatches - this.batchesInFlight);
      if (batches.length === 0) break;
      for (const batch of batches) this.sendBatch(batch);
    }
  }

  /**
   * A send that throws (a payload the encoder refuses) is logged and left in the outbox: it is
   * tried again in the next session, never skipped. Losing the connection is not an error here.
   */
  private guard(send: () => Promise<void>, what: string): Promise<void> {
    let sent: Promise<void>;
    try {
      sent = send();
    } catch (err) {
      sent = Promise.reject(err);
    }
    return sent.catch((err: unknown) => {
      if (this.session >= 0) this.o.log.error({ err, item: what }, 'sparkplug message could not be sent: it stays in the outbox');
      throw err;
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.pump());
  }

  private sendEvent(e: StoredEvent): void {
    const session = this.session;
    this.lastSentEventSeq = e.seq;
    this.eventsInFlight++;
    this.guard(() => this.o.sink.sendEvent(e), `event seq ${e.seq}`).then(
      () => {
        this.o.metrics.eventsOut.inc();
        this.delivered++;
        this.o.outbox.ackEvent(e.seq);
        if (session !== this.session) return;
        this.eventsInFlight--;
        this.schedule();
      },
      // The session is gone; the next one re-sends from the outbox.
      () => {},
    );
  }

  private sendBatch(batch: TelemetryBatch): void {
    const session = this.session;
    this.batchesInFlight++;
    this.guard(() => this.o.sink.sendBatch(batch), `telemetry batch seq ${batch.seq}`).then(
      () => {
        this.o.metrics.readingsOut.inc(batch.count);
        this.delivered += batch.count;
        this.o.outbox.ackBatch(batch.seq);
        if (session !== this.session) return;
        this.batchesInFlight--;
        this.schedule();
      },
      () => {},
    );
  }
}
