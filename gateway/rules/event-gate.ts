import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema/gateway-config.js';
import { type Clock, formatTime, monotonicMs } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { GatewayEvent, Mode } from '../core/model.js';
import type { EventFactory, EventInput } from '../pipeline/event-factory.js';

/** Types never suppressed: the gateway's own reports and mode changes must all arrive. */
const NEVER_SUPPRESSED = /^(gateway\.|mode\.changed$|crowd\.threshold$)/;
const SNAPSHOT_TIMEOUT_MS = 3000;
/** Folded happenings kept per key and window (times and object ids); beyond that only counted. */
const FOLD_KEEP = 500;

/** Happenings folded into one summary event at the end of a suppression window (policy `fold`). */
interface Fold {
  input: EventInput;
  count: number;
  items: Array<{ ts: string; objectId?: string }>;
  timer: NodeJS.Timeout;
}

export interface EventGateOptions {
  /** The configuration in force (it can change while running). */
  config: () => Pick<GatewayConfig, 'modes' | 'rules' | 'snapshots'>;
  events: EventFactory;
  clock: Clock;
  log: Logger;
  mode: () => Mode;
  /** Cameras that can take the picture for an event: its own device first, then the zone's. */
  camerasFor: (source: GatewayEvent['source']) => string[];
  snapshot: (device: string, channel: number | undefined) => Promise<Buffer>;
  /** Accepts the finished event (with its picture) into the outbox; `heldId` is released in the same commit. */
  accept: (event: GatewayEvent, snapshot?: Buffer, heldId?: number) => void;
  /** The held-events journal: an event waiting for its picture is journaled so a crash meanwhile does not lose it. */
  holds?: EventHolds;
}

/** The held-events journal (storage/sqlite-held-events.ts), as the gate uses it. */
export interface EventHolds {
  /** Journals an event that waits for its picture; its id. */
  hold(event: GatewayEvent): number;
  /** Forgets one that will not be stored (suppressed). */
  release(id: number): void;
}

/**
 * Between raising an event and accepting it: per-mode severity overrides, storm suppression by
 * the event's policy (`input.suppression`, from the driver's registry):
 *  - `storm` (default): one event per key and state per window; the rest counted into the next one
 *    as `data.suppressed` (repeating alarms: the count is what matters);
 *  - `fold`: as storm, but at the window's end one summary event carries `data.suppressed` and
 *    `data.folded` = the time and object id of each folded happening (countable happenings such as
 *    line crossings: nothing of them is lost, and the readings count every one anyway);
 *  - `never`: every event is sent;
 * and per-mode snapshots fetched from the event's camera or the zone's cameras, rate-limited per
 * camera and size-capped. The event's id, time and mode are fixed when it is raised.
 */
export class EventGate {
  private readonly lastSent = new Map<string, number>();
  private readonly suppressed = new Map<string, number>();
  private readonly lastSnapshot = new Map<string, number>();
  private readonly folds = new Map<string, Fold>();

  constructor(private readonly o: EventGateOptions) {}

  /**
   * Returns the event's id, or undefined when it was suppressed. `heldId`: the event is in the
   * held-events journal (a driver held it while fetching its picture); released when it is
   * stored or suppressed.
   */
  raise(input: EventInput, snapshot?: Buffer, heldId?: number): string | undefined {
    const mode = this.o.mode();
    const config = this.o.config();
    const policy = config.modes.policies[mode];
    const severity = policy?.severities?.[input.type];
    const withSeverity = severity ? { ...input, severity } : input;
    const key = `${input.key ?? `${input.type}:${input.source.device ?? ''}:${input.source.channel ?? ''}:${input.source.zone ?? ''}`}|${input.state}`;
    // The window and the snapshot rate limit are durations: monotonic ms, so a wall-clock step
    // back cannot stretch a window by the step's length (a lost alert) nor a step forward end it.
    const now = monotonicMs(this.o.clock);
    const window = config.rules.suppression.windowMs;
    const suppression = input.suppression ?? 'storm';
    if (window > 0 && suppression !== 'never' && !NEVER_SUPPRESSED.test(input.type)) {
      const last = this.lastSent.get(key);
      if (last !== undefined && now - last < window) {
        if (suppression === 'fold') this.fold(key, withSeverity, window - (now - last));
        else this.suppressed.set(key, (this.suppressed.get(key) ?? 0) + 1);
        if (heldId !== undefined) this.o.holds?.release(heldId);
        return undefined;
      }
      this.lastSent.set(key, now);
      if (this.lastSent.size > 10_000) this.forgetOld(now - window);
    }
    const count = this.suppressed.get(key);
    this.suppressed.delete(key);
    const finalInput = count ? { ...withSeverity, data: { ...withSeverity.data, suppressed: count } } : withSeverity;

    // A source the device could not resolve to a channel gets no picture: never another channel's (issue 11).
    const wantsPicture = !snapshot && policy?.snapshots?.includes(input.type) && input.data?.sourceUnresolved === undefined;
    if (!wantsPicture) {
      const event = this.o.events.create(snapshot ? { ...finalInput, snapshot: { contentType: 'image/jpeg', bytes: snapshot.length } } : finalInput);
      this.o.accept(event, snapshot, heldId);
      return event.id;
    }
    const event = this.o.events.create(finalInput);
    void this.withPicture(event, now, heldId ?? this.o.holds?.hold(event));
    return event.id;
  }

  /** Sends every pending fold summary now (at shutdown, so nothing folded is lost). */
  flush(): void {
    for (const key of [...this.folds.keys()]) this.flushFold(key);
  }

  private fold(key: string, input: EventInput, remainingMs: number): void {
    let f = this.folds.get(key);
    if (!f) {
      const timer = setTimeout(() => this.flushFold(key), Math.max(0, remainingMs));
      timer.unref();
      f = { input, count: 0, items: [], timer };
      this.folds.set(key, f);
    }
    f.input = input;
    f.count += 1;
    if (f.items.length < FOLD_KEEP) {
      const id = input.data?.objectId;
      f.items.push({
        ts: formatTime(input.ts ?? this.o.clock.now()),
        ...(typeof id === 'string' || typeof id === 'number' ? { objectId: String(id).slice(0, 64) } : {}),
      });
    }
  }

  /** The summary of a window's folded happenings: the last one's fields, with the count and each one's time and object id. */
  private flushFold(key: string): void {
    const f = this.folds.get(key);
    if (!f) return;
    this.folds.delete(key);
    clearTimeout(f.timer);
    this.lastSent.set(key, monotonicMs(this.o.clock));
    try {
      const data = { ...f.input.data, suppressed: f.count, folded: f.items, ...(f.count > f.items.length ? { foldedNotKept: f.count - f.items.length } : {}) };
      this.o.accept(this.o.events.create({ ...f.input, data }));
    } catch (err) {
      this.o.log.error({ err: errorMessage(err), key }, 'folded events could not be sent');
    }
  }

  /** `now`: monotonic ms (the per-camera rate limit is a duration). */
  private async withPicture(event: GatewayEvent, now: number, heldId: number | undefined): Promise<void> {
    const { minIntervalMs, maxBytes } = this.o.config().snapshots;
    for (const camera of this.o.camerasFor(event.source)) {
      const last = this.lastSnapshot.get(camera);
      if (last !== undefined && now - last < minIntervalMs) continue;
      this.lastSnapshot.set(camera, now);
      try {
        const picture = await withTimeout(this.o.snapshot(camera, camera === event.source.device ? event.source.channel : undefined), SNAPSHOT_TIMEOUT_MS);
        if (picture.length > maxBytes) {
          this.o.log.warn({ camera, bytes: picture.length, maxBytes }, 'snapshot larger than snapshots.maxBytes: not attached');
          break;
        }
        this.o.accept({ ...event, snapshot: { contentType: 'image/jpeg', bytes: picture.length } }, picture, heldId);
        return;
      } catch (err) {
        this.o.log.warn({ camera, event: event.type, err: errorMessage(err) }, 'snapshot for event failed');
      }
    }
    this.o.accept(event, undefined, heldId);
  }

  private forgetOld(before: number): void {
    for (const [k, t] of this.lastSent) if (t < before) this.lastSent.delete(k);
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no picture in ${ms} ms`)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}
