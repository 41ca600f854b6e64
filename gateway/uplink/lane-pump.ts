import type { Logger } from 'pino';
import type { BatchingConfig } from '../config/schema/gateway-config.js';
import { type Clock, formatTime } from '../core/clock.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Outbox, StoredEvent, TelemetryBatch } from '../outbox/outbox.js';
import type { PlatformConnection } from './platform-connection.js';
import type { ContractTopics } from './topics.js';

export interface LanePumpOptions {
  outbox: Outbox;
  connection: PlatformConnection;
  topics: ContractTopics;
  gateway: string;
  site: string;
  /** Batching in force now (it changes with the site mode). */
  batching: () => BatchingConfig;
  windows: { events: number; telemetryBatches: number };
  metrics: GatewayMetrics;
  clock: Clock;
  log: Logger;
}

/** How often due telemetry is looked for when nothing else wakes the pump (ms). */
const TICK_MS = 50;

/**
 * Moves the outbox's two lanes to the broker. Events go first: every pass sends what events
 * the events window allows before forming any telemetry batch, and the telemetry window is
 * small, so a live event waits behind at most `telemetryBatches` batches already on the wire.
 * Messages are forgotten by the outbox only on PUBACK.
 */
export class LanePump {
  private generation = -1;
  private lastSentEventSeq = 0;
  private eventsInFlight = 0;
  private batchesInFlight = 0;
  private resend: TelemetryBatch[] = [];
  private scheduled = false;
  private ticker: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  /** Readings and events acknowledged so far (the watchdog's progress signal). */
  delivered = 0;

  constructor(private readonly o: LanePumpOptions) {}

  start(): void {
    this.unsubscribe = this.o.outbox.onCommit(() => this.schedule());
    this.ticker = setInterval(() => this.pump(), TICK_MS);
    this.ticker.unref();
  }

  stop(): void {
    clearInterval(this.ticker);
    this.unsubscribe?.();
    this.generation = -1;
  }

  /** A new connection: everything not acknowledged is sent again, in order. */
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
      this.o.log.debug({ err }, 'pump pass failed');
    }
  }

  private fill(): void {
    if (this.generation < 0 || this.generation !== this.o.connection.currentGeneration) return;
    const { events, telemetryBatches } = this.o.windows;
    while (this.eventsInFlight < events) {
      const want = events - this.eventsInFlight;
      const next = this.o.outbox.readEvents(this.lastSentEventSeq, want);
      for (const e of next) this.sendEvent(e);
      if (next.length < want) break;
    }
    // Events first (contract): while events still wait behind a full events window, no
    // telemetry is sent; the next PUBACK pumps again.
    if (this.eventsInFlight >= events && this.o.outbox.readEvents(this.lastSentEventSeq, 1).length > 0) return;
    while (this.batchesInFlight < telemetryBatches) {
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

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.pump());
  }

  private sendEvent(e: StoredEvent): void {
    const generation = this.generation;
    this.lastSentEventSeq = e.seq;
    this.eventsInFlight++;
    const started = performance.now();
    const picture = e.snapshot ? this.o.connection.publish(this.o.topics.snapshot(e.id), e.snapshot) : Promise.resolve();
    const event = this.o.connection.publish(this.o.topics.events, e.payload);
    Promise.all([picture, event]).then(
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
    const payload = `{"schema":"gridgate.telemetry/1","gateway":${JSON.stringify(this.o.gateway)},"site":${JSON.stringify(this.o.site)},"seq":${batch.seq},"sentAt":"${formatTime(this.o.clock.now())}","readings":[${batch.readings.join(',')}]}`;
    const started = performance.now();
    this.o.connection.publish(this.o.topics.telemetry, payload).then(
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
