import type { GatewayEvent, Reading } from '../core/model.js';

/**
 * The outbox is the gateway's truth between the pipeline and the platform: whatever it has
 * accepted survives crashes and reboots until the broker acknowledged the message carrying it.
 *
 * Two lanes, each in order: events (with their snapshots) and telemetry. Event `seq` is given
 * when an event is accepted; a telemetry batch gets its `seq` when it is formed, and a formed
 * batch is re-sent with the same `seq` and readings after a restart, so seq never skips.
 */
export interface Outbox {
  /** Accepts readings; they are committed within a short window (group commit). */
  appendReadings(readings: readonly Reading[]): void;
  /**
   * Accepts an event; its seq and the contract envelope are added at commit. `heldId`: its row in
   * the held-events journal, released in the same commit.
   */
  appendEvent(event: GatewayEvent, snapshot?: Buffer, heldId?: number): void;
  /** Commits everything accepted so far, now. */
  flush(): void;
  /** Resolves when everything accepted so far is durable; rejects if it could not be stored. */
  committed(): Promise<void>;
  /** Events with seq > afterSeq, oldest first. */
  readEvents(afterSeq: number, limit: number): StoredEvent[];
  /** The broker acknowledged the event (and its snapshot): forget it. */
  ackEvent(seq: number): void;
  /**
   * Telemetry batches handed out (or formed before a restart) but not yet acknowledged, oldest
   * first: resend these first (a new connection, a restart). Batches formed ahead and not handed
   * out yet are not listed: formBatches hands them out next, in seq order.
   */
  pendingBatches(): TelemetryBatch[];
  /**
   * Forms the next batch if one is due: `maxReadings` are waiting, or the oldest waiting reading
   * was accepted at least `maxDelayMs` ago. Undefined when nothing is due.
   */
  formBatch(maxReadings: number, maxDelayMs: number): TelemetryBatch | undefined;
  /** Up to `maxBatches` due batches at once (one durable write for all of them). */
  formBatches(maxReadings: number, maxDelayMs: number, maxBatches: number): TelemetryBatch[];
  ackBatch(seq: number): void;
  stats(): OutboxStats;
  /** Called after each commit that added data (the uplink's cue to send). */
  onCommit(listener: () => void): () => void;
  /** Called when data had to be dropped (capacity, disk full). */
  onDrop(listener: (drop: DropNotice) => void): () => void;
  close(): void;
}

export interface StoredEvent {
  seq: number;
  id: string;
  /** The contract JSON (event.schema.json), seq included. */
  payload: string;
  snapshot?: Buffer;
}

export interface TelemetryBatch {
  seq: number;
  /** Runs of contract readings as JSON text (one or more objects joined by commas), ready to be joined into `readings`. */
  readings: string[];
  /** How many readings the runs hold. */
  count: number;
}

export interface LaneStats {
  /** Events waiting, or readings waiting. */
  count: number;
  bytes: number;
  /** When the oldest waiting item was accepted (ms since epoch), if any. */
  oldestMs?: number;
}

export interface OutboxStats {
  events: LaneStats;
  telemetry: LaneStats;
  capacityBytes: number;
  /** Next seq per lane (what the platform will see next). */
  nextSeq: { events: number; telemetry: number };
  dropped: { telemetry: number; events: number };
}

/** `overload`: thinned at the edge by the overload policy (pipeline/overload-guard.ts), never stored. */
export type DropReason = 'capacity' | 'disk_full' | 'write_error' | 'overload';

export interface DropNotice {
  lane: 'telemetry' | 'events';
  reason: DropReason;
  count: number;
  bytes: number;
  /** When what was dropped had been accepted: first and last (ms since epoch). */
  fromMs: number;
  toMs: number;
}
