import type { GatewayEvent, Reading } from '../core/model.js';
import type { GatewayFacade as Gateway } from '../facade.js';

export type FeedListener = (events: GatewayEvent[]) => void;

/** The last value of a point as the UI shows it: a reading without its id. */
export type LiveValue = Omit<Reading, 'id'>;

/**
 * What the UI shows live, kept beside the data path: the last reading of every point, the most
 * recent events, and the alerts still active (an `active` event not yet `cleared` by its key).
 * It listens to the gateway's bus; the bus isolates it, so it can never slow the pipeline.
 */
export class LiveCache {
  /**
   * device → point → its last value, one object per point updated in place. Keeping the Reading
   * objects themselves (replaced every poll) got 5,000 of them a second promoted to the old
   * generation at a nominal site: a major GC every ~6 s (docs/performance.md, "Session 5").
   */
  private readonly values = new Map<string, Map<string, LiveValue>>();
  private readonly recent: GatewayEvent[] = [];
  private readonly active = new Map<string, GatewayEvent>();
  private readonly listeners = new Set<FeedListener>();
  private pending: GatewayEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: Array<() => void> = [];

  constructor(private readonly o: { recentEvents: number; flushMs: number } = { recentEvents: 500, flushMs: 100 }) {}

  /** Listens to a (new) gateway; values and events of an earlier one are kept. */
  attach(gateway: Gateway): void {
    this.detach();
    this.unsubscribe = [gateway.bus.on('readings', (r) => this.onReadings(r)), gateway.bus.on('event', (e) => this.onEvent(e))];
  }

  detach(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
  }

  onReadings(readings: Reading[]): void {
    for (const r of readings) {
      let m = this.values.get(r.device);
      if (!m) {
        m = new Map();
        this.values.set(r.device, m);
      }
      const v = m.get(r.point);
      if (!v) {
        m.set(r.point, { device: r.device, point: r.point, ts: r.ts, value: r.value, unit: r.unit, quality: r.quality, error: r.error });
        continue;
      }
      v.ts = r.ts;
      v.value = r.value;
      v.unit = r.unit;
      v.quality = r.quality;
      v.error = r.error;
    }
  }

  onEvent(e: GatewayEvent): void {
    this.recent.push(e);
    if (this.recent.length > this.o.recentEvents) this.recent.splice(0, this.recent.length - this.o.recentEvents);
    const key = e.key ?? `${e.source.device ?? ''}:${e.type}`;
    if (e.state === 'active') {
      this.active.delete(key);
      this.active.set(key, e);
      // Bounded: a device that raises alarms it never clears cannot grow this without end.
      if (this.active.size > 1000) this.active.delete(this.active.keys().next().value!);
    } else if (e.state === 'cleared') this.active.delete(key);
    if (this.listeners.size === 0) return;
    // Events are sent in small batches (one frame per flushMs) so a burst costs few frames.
    this.pending.push(e);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.o.flushMs);
  }

  /** The last value of each point of a device, in the order the points were first seen (copies). */
  latest(device: string): LiveValue[] {
    const out: LiveValue[] = [];
    for (const v of this.values.get(device)?.values() ?? []) out.push({ ...v });
    return out;
  }

  pointCount(): number {
    let n = 0;
    for (const m of this.values.values()) n += m.size;
    return n;
  }

  recentEvents(filter: { device?: string; channel?: number; limit?: number } = {}): GatewayEvent[] {
    const out: GatewayEvent[] = [];
    for (let i = this.recent.length - 1; i >= 0 && out.length < (filter.limit ?? 100); i--) {
      const e = this.recent[i]!;
      if (filter.device !== undefined && e.source.device !== filter.device) continue;
      if (filter.channel !== undefined && e.source.channel !== filter.channel) continue;
      out.push(e);
    }
    return out;
  }

  activeAlerts(): GatewayEvent[] {
    return [...this.active.values()].sort((a, b) => (a.ts < b.ts ? 1 : -1));
  }

  subscribe(listener: FeedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    for (const l of this.listeners) l(batch);
  }
}
