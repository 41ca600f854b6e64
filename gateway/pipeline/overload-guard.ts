import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { cgroupMemoryLimit } from '../core/cgroup-memory.js';
import type { DeviceKind } from '../core/model.js';
import type { RawSample } from '../devices/driver.js';

/** What the guard watches, read once per tick. */
export interface OverloadSignals {
  /** Connected to the platform: a growing backlog then means the uplink cannot keep up (not an outage). */
  connected(): boolean;
  /** Age of the oldest telemetry waiting in the outbox (ms), 0 when none. */
  backlogAgeMs(): number;
  /** Share of the outbox capacity in use (0..1). */
  capacityUsed(): number;
  /** Milliseconds spent committing since the gateway started (the outbox's busy time). */
  commitBusyMs(): number;
  /** The kind of a device (decides whether its polls may be thinned). */
  kindOf(device: string): DeviceKind | undefined;
}

/** What cannot keep up (the UI says it in the technician's language from this and `cause`'s figures). */
export const OVERLOAD_CAUSES = ['memory', 'storage', 'cpu', 'uplink', 'outbox-full'] as const;
export type OverloadCauseCode = (typeof OVERLOAD_CAUSES)[number];

/** The signal that is over its limit, with its figure: MiB (memory), % (storage, outbox-full), ms (cpu), s (uplink). */
export interface OverloadCause {
  code: OverloadCauseCode;
  /** memory: RSS MiB; storage: % of the time committing; cpu: event-loop delay ms; uplink: seconds behind; outbox-full: % full. */
  value: number;
  /** memory only: the limit, MiB. */
  limit?: number;
}

export interface OverloadStatus {
  overloaded: boolean;
  /** 1 = every poll kept; N = one poll in N kept for low-priority devices. */
  keepOneIn: number;
  /** Why, in words, while overloaded. */
  reason?: string;
  /** Why, as a code and a figure, while overloaded. */
  cause?: OverloadCause;
  since?: string;
  /** Readings dropped at the edge by this policy since start. */
  shed: number;
  /** Devices whose poller stretches its interval (by keepOneIn) instead of being thinned. */
  stretched: number;
}

/** The status with what is done to which device (the dashboard, /api/status); not put in events (it grows with the site). */
export interface OverloadReport extends OverloadStatus {
  /** Low-priority devices whose poll intervals (each poll group's) are stretched by keepOneIn now. */
  stretchedDevices: string[];
  /** Low-priority devices thinned at the edge now, with the readings dropped since this overload began. */
  thinnedDevices: Array<{ device: string; dropped: number }>;
}

export interface OverloadGuardOptions {
  signals: OverloadSignals;
  log: Logger;
  /** Called on entering and leaving overload (raise an event, publish state). */
  onChange: (status: OverloadStatus) => void;
  /** Called with readings dropped at the edge (reported like other drops, reason `overload`). */
  onShed: (count: number, fromMs: number, toMs: number) => void;
  tickMs?: number;
  /** Memory limit to stay under (bytes); default the cgroup's memory.max when there is one (systemd MemoryMax). */
  memoryLimitBytes?: number;
}

/**
 * Device kinds whose polls are thinned: polled meters, where a skipped poll is a longer poll
 * interval. Never MQTT sensors (they push, and a message they got a PUBACK for must not be
 * lost: they are slowed by the PUBACK waiting for the commit instead), nor people counters,
 * cameras and NVRs (they feed the crowd rules).
 */
const LOW_PRIORITY: ReadonlySet<DeviceKind> = new Set(['modbus', 'other']);
/** Thinning never goes beyond one poll in this many. */
const MAX_KEEP_ONE_IN = 32;
/** Storage busier than this share of the wall time cannot keep up. */
const COMMIT_BUSY_LIMIT = 0.6;
/**
 * Ticks in a row the storage must be that busy: one slow second (another process flushing, the
 * start-up's first commits on a cold disk) is not overload, and a false `major` alarm is a failure.
 */
const STORAGE_BUSY_TICKS = 3;
/** Event-loop delay (p99 over a tick) above which the CPU cannot keep up, ms. */
const LOOP_DELAY_LIMIT_MS = 1000;

/**
 * The event-loop delay is sampled every 200 ms (a timer on the loop): the limits that count are a
 * second and more, and a 20 ms sample was 50 wake-ups a second of an otherwise idle gateway.
 */
const LOOP_SAMPLE_MS = 200;
/** Telemetry older than this while connected: the uplink cannot keep up, ms. */
const BACKLOG_AGE_LIMIT_MS = 15_000;
/**
 * Ticks over which an old backlog must fail to get younger before it counts as overload. After
 * an outage the backlog is as old as the outage while it drains (the oldest goes first, so its age
 * falls fast): that is catching up, not falling behind, and must thin nothing (the soak saw every
 * post-outage drain reported as overload and polls dropped).
 */
const DRAIN_WINDOW_TICKS = 10;
/** Calm ticks before the thinning is halved again. */
const CALM_TICKS = 5;

/**
 * Overload is handled, not suffered: once a second it looks at the storage (commit busy time),
 * the CPU (event-loop delay), the uplink (age of the telemetry backlog while connected), the
 * outbox fill and the process memory against the unit's MemoryMax. When one of them cannot keep
 * up it says so (one warning, a metric, an event, /api/status) and thins the polls of
 * low-priority devices at the edge — one poll in 2, 4, … 32 kept per device, as if their poll
 * interval were stretched — counting what it drops; events and alerts are never thinned. When
 * everything is calm for CALM_TICKS the thinning is halved step by step.
 */
export class OverloadGuard {
  private keepOneIn = 1;
  private calm = 0;
  /** Backlog ages (ms) of the last ticks while connected, oldest first (at most DRAIN_WINDOW_TICKS + 1). */
  private backlogAges: number[] = [];
  private reason: string | undefined;
  private cause: OverloadCause | undefined;
  private since: number | undefined;
  private shed = 0;
  private readonly polls = new Map<string, number>();
  /** Readings thinned per device since this overload began. */
  private readonly shedBy = new Map<string, number>();
  /** Devices whose driver asked for the stretch (their pollers honour it): never thinned. */
  private readonly stretching = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private loopDelay: IntervalHistogram | undefined;
  private lastBusy = 0;
  private lastTick = 0;
  private lateBefore = false;
  private busyTicks = 0;
  private readonly memoryLimit: number | undefined;

  constructor(private readonly o: OverloadGuardOptions) {
    this.memoryLimit = o.memoryLimitBytes ?? cgroupMemoryLimit();
  }

  start(): void {
    this.loopDelay = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
    this.loopDelay.enable();
    this.lastTick = performance.now();
    this.lastBusy = this.o.signals.commitBusyMs();
    this.timer = setInterval(() => this.tick(), this.o.tickMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.loopDelay?.disable();
  }

  status(): OverloadStatus {
    const s: OverloadStatus = { overloaded: this.reason !== undefined, keepOneIn: this.keepOneIn, shed: this.shed, stretched: this.stretchedDevices().length };
    if (this.reason) s.reason = this.reason;
    if (this.cause) s.cause = { ...this.cause };
    if (this.since !== undefined) s.since = new Date(this.since).toISOString();
    return s;
  }

  /** The status with the devices stretched and thinned now (what the technician's dashboard lists). */
  report(): OverloadReport {
    return {
      ...this.status(),
      stretchedDevices: this.stretchedDevices(),
      thinnedDevices: [...this.shedBy].map(([device, dropped]) => ({ device, dropped })),
    };
  }

  /** Devices whose poller stretches its interval now (still configured and low-priority). */
  private stretchedDevices(): string[] {
    if (this.keepOneIn === 1) return [];
    return [...this.stretching].filter((d) => {
      const kind = this.o.signals.kindOf(d);
      return kind !== undefined && LOW_PRIORITY.has(kind);
    });
  }

  /**
   * Stretch before dropping: the factor a low-priority device's poller multiplies its interval by
   * now (1 for other kinds, and while calm). A device whose driver asks is not thinned by admit():
   * its polls are fewer, none is made and then dropped.
   */
  stretchFor(device: string): number {
    const kind = this.o.signals.kindOf(device);
    if (!kind || !LOW_PRIORITY.has(kind)) return 1;
    this.stretching.add(device);
    return this.keepOneIn;
  }

  /**
   * Whether a poll's samples go on into the pipeline; thinned polls are counted as shed. One
   * call per driver batch (a poll or a message), so a device keeps whole polls. Devices whose
   * poller stretches its interval (stretchFor) are not thinned again.
   */
  admit(batch: readonly RawSample[]): boolean {
    if (this.keepOneIn === 1 || batch.length === 0) return true;
    const device = batch[0]!.device;
    if (this.stretching.has(device)) return true;
    const kind = this.o.signals.kindOf(device);
    if (!kind || !LOW_PRIORITY.has(kind)) return true;
    const n = (this.polls.get(device) ?? 0) + 1;
    this.polls.set(device, n);
    if (n % this.keepOneIn === 0) return true;
    let from = Number.POSITIVE_INFINITY;
    let to = 0;
    for (const s of batch) {
      if (s.ts < from) from = s.ts;
      if (s.ts > to) to = s.ts;
    }
    this.shed += batch.length;
    this.shedBy.set(device, (this.shedBy.get(device) ?? 0) + batch.length);
    this.o.onShed(batch.length, from, to);
    return false;
  }

  /** One evaluation (public for tests). */
  tick(): void {
    const now = performance.now();
    const busy = this.o.signals.commitBusyMs();
    const share = now > this.lastTick ? (busy - this.lastBusy) / (now - this.lastTick) : 0;
    this.lastBusy = busy;
    this.lastTick = now;
    const delayMs = this.loopDelay ? this.loopDelay.percentile(99) / 1e6 : 0;
    this.loopDelay?.reset();
    // A late event loop counts only on two ticks in a row: start-up and one-off pauses are not overload.
    const lateLoop = delayMs > LOOP_DELAY_LIMIT_MS && this.lateBefore;
    this.lateBefore = delayMs > LOOP_DELAY_LIMIT_MS;
    this.busyTicks = share > COMMIT_BUSY_LIMIT ? this.busyTicks + 1 : 0;
    const why = this.diagnose(this.busyTicks >= STORAGE_BUSY_TICKS ? share : 0, lateLoop ? delayMs : 0);
    if (why) {
      this.calm = 0;
      this.keepOneIn = Math.min(MAX_KEEP_ONE_IN, this.keepOneIn * 2);
      this.cause = why.cause;
      if (this.reason === undefined) {
        this.reason = why.text;
        this.since = Date.now();
        this.o.log.warn(
          { reason: why.text, keepOneIn: this.keepOneIn },
          'overloaded: stretching the poll intervals of low-priority devices (thinning those whose driver cannot)',
        );
        this.o.onChange(this.status());
      } else {
        this.reason = why.text;
      }
      return;
    }
    if (this.keepOneIn === 1) return;
    if (++this.calm < CALM_TICKS) return;
    this.calm = 0;
    this.keepOneIn = Math.max(1, this.keepOneIn / 2);
    if (this.keepOneIn === 1) {
      this.o.log.info({ shed: this.shed }, 'overload over: every poll kept again');
      this.reason = undefined;
      this.cause = undefined;
      this.since = undefined;
      this.polls.clear();
      this.shedBy.clear();
      this.o.onChange(this.status());
    }
  }

  private diagnose(commitShare: number, loopDelayMs: number): { cause: OverloadCause; text: string } | undefined {
    const s = this.o.signals;
    if (this.memoryLimit !== undefined) {
      const rss = process.memoryUsage.rss();
      if (rss > this.memoryLimit * 0.8) {
        const cause = { code: 'memory', value: Math.round(rss / 1048576), limit: Math.round(this.memoryLimit / 1048576) } as const;
        return { cause, text: `memory ${cause.value} MiB is over 80 % of the limit (${cause.limit} MiB)` };
      }
    }
    if (commitShare > COMMIT_BUSY_LIMIT) {
      const value = Math.round(commitShare * 100);
      return { cause: { code: 'storage', value }, text: `the outbox spends ${value} % of the time committing` };
    }
    if (loopDelayMs > LOOP_DELAY_LIMIT_MS) {
      const value = Math.round(loopDelayMs);
      return { cause: { code: 'cpu', value }, text: `the event loop is ${value} ms late (CPU saturated)` };
    }
    // During an outage the outbox stores by design and drops its oldest telemetry when full
    // (reported); only a backlog that grows while connected means the uplink cannot keep up.
    if (!s.connected()) {
      this.backlogAges = [];
      return undefined;
    }
    const age = s.backlogAgeMs();
    this.backlogAges.push(age);
    if (this.backlogAges.length > DRAIN_WINDOW_TICKS + 1) this.backlogAges.shift();
    const windowFull = this.backlogAges.length > DRAIN_WINDOW_TICKS;
    // Behind, and not catching up: the oldest waiting reading is no younger than a window ago.
    if (age > BACKLOG_AGE_LIMIT_MS && windowFull && age >= this.backlogAges[0]!) {
      const value = Math.round(age / 1000);
      return { cause: { code: 'uplink', value }, text: `the uplink is ${value} s behind and not catching up` };
    }
    const used = s.capacityUsed();
    if (used > 0.9) {
      const value = Math.round(used * 100);
      return { cause: { code: 'outbox-full', value }, text: `the outbox is ${value} % full` };
    }
    return undefined;
  }
}
