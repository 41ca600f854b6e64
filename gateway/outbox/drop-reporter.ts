import type { Logger } from 'pino';
import { formatTime } from '../core/clock.js';
import type { EventInput } from '../pipeline/event-factory.js';
import type { DropNotice } from './outbox.js';

const WHY: Record<DropNotice['reason'], string> = {
  capacity: 'the outbox was full',
  disk_full: 'the disk was full',
  write_error: 'the outbox could not be written',
  overload: 'the gateway was overloaded (polls of low-priority devices thinned)',
};

interface Pending {
  lane: DropNotice['lane'];
  reason: DropNotice['reason'];
  count: number;
  bytes: number;
  fromMs: number;
  toMs: number;
}

/**
 * Turns outbox drops into `gateway.data_dropped` events (contract: a seq gap is only allowed
 * when the gateway also says how much it dropped, from when to when). Drops are summed and
 * reported at most once per `windowMs` per lane and reason, so a long outage gives a handful of
 * events, not one per batch.
 */
export class DropReporter {
  private readonly pending = new Map<string, Pending>();
  private readonly lastReport = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly raise: (event: EventInput) => void,
    private readonly now: () => number,
    /** Where a report that could not be raised is logged (it runs from a timer: it must not throw). */
    private readonly log?: Logger,
    private readonly windowMs = 10_000,
  ) {}

  add(drop: DropNotice): void {
    const key = `${drop.lane}:${drop.reason}`;
    const p = this.pending.get(key);
    if (p) {
      p.count += drop.count;
      p.bytes += drop.bytes;
      p.fromMs = Math.min(p.fromMs, drop.fromMs);
      p.toMs = Math.max(p.toMs, drop.toMs);
    } else {
      this.pending.set(key, { ...drop });
    }
    const since = this.now() - (this.lastReport.get(key) ?? Number.NEGATIVE_INFINITY);
    if (since >= this.windowMs) this.report(key);
    else this.timer ??= setTimeout(() => this.flushFromTimer(), this.windowMs - since);
  }

  /** Reports everything pending now (also on shutdown). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const key of [...this.pending.keys()]) this.report(key);
  }

  private flushFromTimer(): void {
    try {
      this.flush();
    } catch (err) {
      this.log?.error({ err }, 'drop report could not be raised');
    }
  }

  private report(key: string): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    this.lastReport.set(key, this.now());
    const what = p.lane === 'telemetry' ? 'readings' : 'events';
    const why = WHY[p.reason];
    this.raise({
      type: 'gateway.data_dropped',
      state: 'pulse',
      severity: p.lane === 'events' ? 'critical' : 'major',
      source: {},
      message: `dropped ${p.count} ${what} (${p.bytes} bytes) accepted from ${formatTime(p.fromMs)} to ${formatTime(p.toMs)} because ${why}`,
      data: { lane: p.lane, reason: p.reason, count: p.count, bytes: p.bytes, from: formatTime(p.fromMs), to: formatTime(p.toMs) },
    });
  }
}
