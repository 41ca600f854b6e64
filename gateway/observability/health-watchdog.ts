import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * The event-loop delay is sampled every 200 ms (a timer on the loop): the limits that count are a
 * second and more, and a 20 ms sample was 50 wake-ups a second of an otherwise idle gateway.
 */
const LOOP_SAMPLE_MS = 200;

export interface ProgressProbe {
  /** Readings and events acknowledged by the platform so far. */
  delivered(): number;
  /** Items waiting in the outbox. */
  backlog(): number;
  uplinkConnected(): boolean;
  /** Throws if the outbox cannot be read (the database is gone or locked). */
  checkOutbox(): void;
}

/**
 * Decides whether to feed systemd's watchdog: only when the gateway really works. Checked each
 * interval: the event loop is not stuck (its worst delay stays under half the watchdog period),
 * the outbox answers, and while connected with a backlog, deliveries make progress. A stuck
 * gateway stops pinging and systemd restarts it (Restart=on-failure).
 */
export class HealthWatchdog {
  private readonly loop = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
  private lastDelivered = -1;
  private stalledSince: number | undefined;

  constructor(
    private readonly probe: ProgressProbe,
    private readonly periodMs: number,
    /** Monotonic ms: a wall-clock step must neither hide a stall nor fake one (a needless restart). */
    private readonly now: () => number = () => performance.now(),
  ) {}

  start(): void {
    this.loop.enable();
  }

  stop(): void {
    this.loop.disable();
  }

  /** Undefined when healthy, else why not. Resets the loop-delay window. */
  check(): string | undefined {
    const worstLagMs = this.loop.max / 1e6;
    this.loop.reset();
    if (worstLagMs > this.periodMs / 2) return `event loop blocked for ${Math.round(worstLagMs)} ms`;
    try {
      this.probe.checkOutbox();
    } catch (err) {
      return `outbox does not answer: ${(err as Error).message}`;
    }
    const delivered = this.probe.delivered();
    const stuck = this.probe.uplinkConnected() && this.probe.backlog() > 0 && delivered === this.lastDelivered;
    this.lastDelivered = delivered;
    if (!stuck) {
      this.stalledSince = undefined;
      return undefined;
    }
    this.stalledSince ??= this.now();
    // Two periods without progress while connected with a backlog: the pipeline is stuck.
    if (this.now() - this.stalledSince > 2 * this.periodMs)
      return `no delivery progress for ${Math.round((this.now() - this.stalledSince) / 1000)} s while connected with a backlog`;
    return undefined;
  }
}
