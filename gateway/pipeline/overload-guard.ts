import { type EventLoopUtilization, type IntervalHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';
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
  /**
   * Share of the wall time the event loop was busy since the last tick (0..1), when given (tests);
   * otherwise the guard measures it (`performance.eventLoopUtilization`) once started.
   */
  loopUtilization?(): number;
  /**
   * Telemetry readings waiting (stored and not yet acknowledged), when known: whether the backlog
   * grows now. Its age lags: the oldest readings came in at the old rate, so it went on growing
   * for seconds after the stretch was enough, and stepping on it overshot (×12 where ×4 carried).
   */
  backlogReadings?(): number;
  /**
   * Readings and events acknowledged by the platform so far (a counter), when known: with the
   * backlog's growth it gives the rate coming in against the rate going out, and the stretch steps
   * by their ratio (at most ×2) instead of PRESSURE_STEP: fewer seconds of backlog piling up.
   */
  deliveredReadings?(): number;
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
/**
 * The capacity controller (storage, a saturated event loop whose backlog is not shrinking) stretches
 * by this factor per tick and steps back by RELIEF_STEP per calm tick: close to what the box can
 * carry, not far below it. Doubling up to ×32 (what the hard causes still do) took 500,000
 * readings/s nominal down to 8,968/s delivered where one core carries ~150,000–200,000.
 */
const PRESSURE_STEP = 1.25;
const RELIEF_STEP = 1.1;
/**
 * Event-loop utilization at or above which, two ticks in a row, the loop is saturated (capacity
 * pressure). One core's worth is what the box can carry: Node-RED runs at 98 % at its ceiling.
 */
const LOOP_BUSY_HIGH = 0.99;
/** Below it (and nothing else pressing) the capacity stretch steps back: the band between is hysteresis. */
const LOOP_BUSY_LOW = 0.85;
/** The proportional step aims a little under what goes out, so a standing backlog drains. */
const TARGET_SHARE = 0.9;
/** The least window an event-loop utilization is computed over (ms). */
const ELU_MIN_WINDOW_MS = 100;
/** Ticks in a row of capacity pressure before an overload begins (one busy second is not overload). */
const PRESSURE_TICKS = 3;
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
 * the CPU (event-loop utilization and delay), the uplink (the telemetry backlog while connected:
 * its count and age), the outbox fill and the process memory against the unit's MemoryMax. When
 * one of them cannot keep up it says so (one warning, a metric, an event, /api/status) and
 * stretches the poll intervals of low-priority devices (thinning at the edge those whose driver
 * cannot stretch, counting what it drops); events and alerts are never slowed. Capacity pressure
 * (a saturated loop, storage) moves the factor in fine steps towards what the
 * box can carry and back as soon as the loop has room (a control loop with hysteresis); the hard
 * causes double it and halve it after CALM_TICKS calm ticks.
 */
export class OverloadGuard {
  private keepOneIn = 1;
  private calm = 0;
  /** Backlog ages (ms) of the last ticks while connected, oldest first (at most DRAIN_WINDOW_TICKS + 1). */
  private backlogAges: number[] = [];
  /** Readings waiting (backlogReadings) at the same ticks as backlogAges, when known. */
  private backlogCounts: number[] = [];
  private reason: string | undefined;
  private cause: OverloadCause | undefined;
  private since: number | undefined;
  private shed = 0;
  /** Per thinned device: the share of a poll it is owed (it keeps a poll when this reaches 1). */
  private readonly credit = new Map<string, number>();
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
  /** The loop was saturated on the last tick (two in a row count, like a late loop). */
  private saturatedBefore = false;
  /** Capacity-pressure ticks in a row (storage, a saturated loop). */
  private pressureTicks = 0;
  /** The stretch was last raised by a hard cause (memory, outbox full, 15 s behind, 1 s late): it comes back by halving after calm ticks. */
  private hardRaise = false;
  private elu: EventLoopUtilization | undefined;
  /** deliveredReadings at the last tick, and the rates in and out seen then (readings per tick). */
  private lastDelivered: number | undefined;
  private rates: { in: number; out: number } | undefined;
  private readonly memoryLimit: number | undefined;

  constructor(private readonly o: OverloadGuardOptions) {
    this.memoryLimit = o.memoryLimitBytes ?? cgroupMemoryLimit();
  }

  start(): void {
    this.loopDelay = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
    this.loopDelay.enable();
    this.lastTick = performance.now();
    this.lastBusy = this.o.signals.commitBusyMs();
    this.elu = performance.eventLoopUtilization();
    this.timer = setInterval(() => this.tick(), this.o.tickMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.loopDelay?.disable();
  }

  status(): OverloadStatus {
    const s: OverloadStatus = {
      overloaded: this.reason !== undefined,
      keepOneIn: Math.round(this.keepOneIn * 100) / 100,
      shed: this.shed,
      stretched: this.stretchedDevices().length,
    };
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
    // One poll in keepOneIn kept (the factor may be fractional: 1.25 keeps four polls in five).
    const owed = (this.credit.get(device) ?? 0) + 1 / this.keepOneIn;
    if (owed >= 1 - 1e-9) {
      this.credit.set(device, owed - 1);
      return true;
    }
    this.credit.set(device, owed);
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
    const loopBusy = this.loopUtilization();
    // One saturated second (a big commit, a major GC, start-up) is not pressure: two in a row are.
    const saturated = loopBusy >= LOOP_BUSY_HIGH && this.saturatedBefore;
    this.saturatedBefore = loopBusy >= LOOP_BUSY_HIGH;
    // A late event loop counts only on two ticks in a row: start-up and one-off pauses are not overload.
    const lateLoop = delayMs > LOOP_DELAY_LIMIT_MS && this.lateBefore;
    this.lateBefore = delayMs > LOOP_DELAY_LIMIT_MS;
    this.busyTicks = share > COMMIT_BUSY_LIMIT ? this.busyTicks + 1 : 0;
    const why = this.diagnose(this.busyTicks >= STORAGE_BUSY_TICKS ? share : 0, lateLoop ? delayMs : 0, saturated ? loopBusy : 0, delayMs);
    this.pressureTicks = why?.fine ? this.pressureTicks + 1 : 0;
    // Capacity pressure begins an overload only after PRESSURE_TICKS in a row; once in one, each
    // such tick stretches a step further. Storage has counted its own 3 ticks already.
    const acts = why && (!why.fine || this.keepOneIn > 1 || this.pressureTicks >= PRESSURE_TICKS || why.cause.code === 'storage');
    if (why && acts) {
      this.calm = 0;
      this.hardRaise = !why.fine;
      this.keepOneIn = Math.min(MAX_KEEP_ONE_IN, this.keepOneIn * (why.fine ? this.pressureStep() : 2));
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
    if (this.hardRaise) {
      // A hard cause (a backlog seen over 10 s, memory, the outbox's fill) lags what is done about
      // it: halve only after CALM_TICKS without any cause.
      if (why || ++this.calm < CALM_TICKS) return;
      this.calm = 0;
      this.keepOneIn = Math.max(1, this.keepOneIn / 2);
    } else {
      // Capacity: step back as soon as the loop has room again; hold inside the hysteresis band.
      if (why || loopBusy >= LOOP_BUSY_LOW) return;
      this.keepOneIn = this.keepOneIn / RELIEF_STEP < 1.05 ? 1 : this.keepOneIn / RELIEF_STEP;
    }
    if (this.keepOneIn === 1) {
      this.o.log.info({ shed: this.shed }, 'overload over: every poll kept again');
      this.reason = undefined;
      this.cause = undefined;
      this.since = undefined;
      this.credit.clear();
      this.shedBy.clear();
      this.o.onChange(this.status());
    }
  }

  /**
   * The capacity step: as an overload begins, the ratio of what comes in to what goes out (aiming
   * at TARGET_SHARE of it), within PRESSURE_STEP…2, so less backlog piles up while the factor
   * climbs; PRESSURE_STEP afterwards. One second's counts are noisy (a batch acknowledged just
   * before or after the tick): stepping by the ratio on every saturated second swung the factor
   * ×5 → ×10 → ×5 in the harness and delivered less.
   */
  private pressureStep(): number {
    const r = this.rates;
    if (this.keepOneIn > 1 || !r || r.out <= 0 || r.in <= 0) return PRESSURE_STEP;
    return Math.min(2, Math.max(PRESSURE_STEP, r.in / (TARGET_SHARE * r.out)));
  }

  /** Share of the wall time the event loop was busy since the last tick (0 before start). */
  private loopUtilization(): number {
    if (this.o.signals.loopUtilization) return this.o.signals.loopUtilization();
    if (!this.elu) return 0;
    const now = performance.eventLoopUtilization();
    const d = performance.eventLoopUtilization(now, this.elu);
    // A share of less than ELU_MIN_WINDOW_MS says nothing (a tick called right after another).
    if (d.idle + d.active < ELU_MIN_WINDOW_MS) return 0;
    this.elu = now;
    return d.utilization;
  }

  /**
   * What is over its limit: `fine` for capacity pressure (storage, a saturated loop whose
   * backlog is not shrinking), answered in PRESSURE_STEP steps; the others (memory, a loop a second late,
   * a backlog 15 s behind, the outbox nearly full) double the stretch.
   */
  private diagnose(
    commitShare: number,
    lateLoopMs: number,
    loopBusy: number,
    loopDelayMs: number,
  ): { cause: OverloadCause; text: string; fine: boolean } | undefined {
    const s = this.o.signals;
    if (this.memoryLimit !== undefined) {
      const rss = process.memoryUsage.rss();
      if (rss > this.memoryLimit * 0.8) {
        const cause = { code: 'memory', value: Math.round(rss / 1048576), limit: Math.round(this.memoryLimit / 1048576) } as const;
        return { cause, text: `memory ${cause.value} MiB is over 80 % of the limit (${cause.limit} MiB)`, fine: false };
      }
    }
    if (lateLoopMs > LOOP_DELAY_LIMIT_MS) {
      const value = Math.round(lateLoopMs);
      return { cause: { code: 'cpu', value }, text: `the event loop is ${value} ms late (CPU saturated)`, fine: false };
    }
    // Commit time is wall time, fsync included: better-sqlite3 commits on the event loop, so it is
    // time the loop can do nothing else. Since commits follow the window (not every 5,000
    // readings), ~10 a second whatever the rate, it is the inserts' CPU that makes it grow.
    if (commitShare > COMMIT_BUSY_LIMIT) {
      const value = Math.round(commitShare * 100);
      return { cause: { code: 'storage', value }, text: `the outbox spends ${value} % of the time committing`, fine: true };
    }
    // During an outage the outbox stores by design and drops its oldest telemetry when full
    // (reported); only a backlog that grows while connected means the uplink cannot keep up.
    if (!s.connected()) {
      this.backlogAges = [];
      this.backlogCounts = [];
      this.lastDelivered = undefined;
      this.rates = undefined;
      return this.loopSaturated(loopBusy, loopDelayMs);
    }
    const age = s.backlogAgeMs();
    this.backlogAges.push(age);
    if (this.backlogAges.length > DRAIN_WINDOW_TICKS + 1) this.backlogAges.shift();
    const waiting = s.backlogReadings?.();
    const counts = this.backlogCounts;
    if (waiting === undefined) counts.length = 0;
    else {
      counts.push(waiting);
      if (counts.length > DRAIN_WINDOW_TICKS + 1) counts.shift();
    }
    // What came in and went out over the last tick: out from the acknowledgements, in from out
    // and the backlog's growth. A counter that went back (a new uplink) gives no rates this tick.
    const delivered = s.deliveredReadings?.();
    const out = delivered !== undefined && this.lastDelivered !== undefined ? delivered - this.lastDelivered : -1;
    const grew = waiting !== undefined && counts.length > 1 ? waiting - counts[counts.length - 2]! : undefined;
    this.rates = out >= 0 && grew !== undefined ? { in: out + grew, out } : undefined;
    this.lastDelivered = delivered;
    const windowFull = this.backlogAges.length > DRAIN_WINDOW_TICKS;
    // Behind, and not catching up: more readings wait than a window ago and than a tick ago (or,
    // when the count is not known, the oldest waiting reading is no younger than a window ago).
    // The age lags (the oldest came in at the old rate): a shrinking count is catching up.
    const notCatchingUp = counts.length > DRAIN_WINDOW_TICKS ? waiting! >= counts[0]! && waiting! >= counts[counts.length - 2]! : age >= this.backlogAges[0]!;
    if (age > BACKLOG_AGE_LIMIT_MS && windowFull && notCatchingUp) {
      const value = Math.round(age / 1000);
      return { cause: { code: 'uplink', value }, text: `the uplink is ${value} s behind and not catching up`, fine: false };
    }
    const used = s.capacityUsed();
    if (used > 0.9) {
      const value = Math.round(used * 100);
      return { cause: { code: 'outbox-full', value }, text: `the outbox is ${value} % full`, fine: false };
    }
    // Whether the backlog shrinks now: by its count when known, else by its age.
    const lastWaiting = counts.length > 1 ? counts[counts.length - 2] : undefined;
    const before = this.backlogAges.length > 1 ? this.backlogAges[this.backlogAges.length - 2]! : Number.POSITIVE_INFINITY;
    const shrinking = waiting !== undefined && lastWaiting !== undefined ? waiting < lastWaiting : age < before;
    // A saturated loop whose backlog shrinks is catching up with a stretch that is enough
    // already: draining keeps the loop busy for a while, and stretching on it overshot (×18 where
    // ×4 carried the load). Only while the backlog does not shrink is it pressure.
    // An uplink that falls behind while the loop has room is left to the 15 s rule above (the
    // dashboard and the platform's `state` say "over 15 s behind" for cause `uplink`).
    return shrinking ? undefined : this.loopSaturated(loopBusy, loopDelayMs);
  }

  private loopSaturated(loopBusy: number, loopDelayMs: number): { cause: OverloadCause; text: string; fine: true } | undefined {
    if (loopBusy < LOOP_BUSY_HIGH) return undefined;
    // The histogram records the time between its samples: the lateness is what exceeds LOOP_SAMPLE_MS.
    const value = Math.max(1, Math.round(loopDelayMs - LOOP_SAMPLE_MS));
    return {
      cause: { code: 'cpu', value },
      text: `the event loop is busy ${Math.round(loopBusy * 100)} % of the time, ${value} ms late (CPU saturated)`,
      fine: true,
    };
  }
}
