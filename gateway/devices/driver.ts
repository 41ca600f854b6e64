import type { Logger } from 'pino';
import type { SecretRef } from '../config/schema/common.js';
import type { BasePoint } from '../config/schema/point.js';
import type { Clock } from '../core/clock.js';
import type { CounterState } from '../core/plausible-counter.js';
import type { DeviceKind, DeviceStatus, EventState, Mode, Quality, Severity } from '../core/model.js';

/**
 * The driver contract. A driver speaks one protocol and owns the devices configured for it.
 * It reports RAW values (as the device gives them); the pipeline applies scale, offset, unit
 * conversion and deadband from the point's profile, so that scaling is done once, by the core.
 *
 * Lifecycle: `start(ctx)` once, then add/update/remove devices any number of times, then
 * `stop()`. Constructors only assign; I/O begins in `start` or `addDevice`.
 * Everything a driver does for one device must be isolated from its other devices: a slow or
 * dead device never delays another.
 */
/**
 * What the core reads of every device's configuration, whatever its driver (the fields of
 * gateway/config/schema/device.ts and point.ts). A driver's own schema adds the rest; the core
 * never needs to know which driver's device it holds.
 */
export interface DeviceConfigBase {
  id: string;
  /** The name of the driver module that owns the device. */
  driver: string;
  kind: DeviceKind;
  enabled: boolean;
  name?: string | undefined;
  zone?: string | undefined;
  profile?: string | undefined;
  location?: string | undefined;
  points: ReadonlyArray<BasePoint>;
}

export interface Driver<D extends DeviceConfigBase = DeviceConfigBase> {
  /** Matches the `driver` field of the device configuration. */
  readonly name: D['driver'];
  start(ctx: DriverContext): Promise<void>;
  /** Stops every device and releases sockets, within the signal's deadline. */
  stop(signal: AbortSignal): Promise<void>;
  addDevice(device: D): Promise<void>;
  /** Called with the new configuration of a device already added. */
  updateDevice(device: D): Promise<void>;
  removeDevice(deviceId: string): Promise<void>;
  /** One on-demand read (UI test read, read-back). */
  read?(deviceId: string, point: string, signal?: AbortSignal): Promise<RawSample>;
  /** Writes a raw value (the core has already converted from engineering units and checked limits). */
  write?(deviceId: string, point: string, raw: RawValue, signal?: AbortSignal): Promise<void>;
  /** Looks for devices on the network; offers them, never adds them. */
  discover?(options: DiscoverOptions): Promise<DiscoveredDevice[]>;
  /** A JPEG of the device's (channel's) current picture. */
  snapshot?(deviceId: string, channel: number | undefined, signal?: AbortSignal): Promise<Buffer>;
  /** Per-device health and counters for /api/status and /metrics (cheap, never throws). */
  health?(): DriverHealth;
  /** The metric families `health().metrics` fills, declared up front so /metrics always lists them. */
  readonly metricFamilies?: ReadonlyArray<DriverMetricFamily>;
  /** What the last `discover` probed and where (for the UI when nothing answered). */
  discoveryReport?(): Record<string, unknown> | undefined;
  /**
   * Tries a device before it is saved (the UI's "test before save") on this running driver's
   * shared resources: a serial line's request queue, the embedded broker already listening. What
   * the device says goes to `test`, never to the core; `close()` lets go of everything it used.
   */
  testDevice?(device: D, test: DeviceTestContext): Promise<DeviceTrial>;
}

/** Where a device under test reports (the tester's own sink; nothing reaches the outbox). */
export interface DeviceTestContext {
  samples(batch: RawSample[]): void;
  status(update: DeviceStatusUpdate): void;
  /** Resolves the device's secret references as the daemon does, plus a password typed for the test. */
  readSecret?(ref: SecretRef): string;
}

/**
 * The context a device under test runs with inside a running driver: the driver's clock and mode,
 * its samples and status to the test, its events nowhere (a test must not raise alerts).
 */
export function trialContext(ctx: DriverContext, log: Logger, test: DeviceTestContext): DriverContext {
  return {
    log,
    clock: ctx.clock,
    samples: (b) => test.samples(b),
    event: () => {},
    status: (_id, u) => test.status(u),
    mode: ctx.mode,
    onModeChange: () => () => {},
  };
}

/** A device under test on a running driver; see Driver.testDevice. */
export interface DeviceTrial {
  /** One on-demand read of a point. */
  read?(point: string, signal?: AbortSignal): Promise<RawSample>;
  /** A JPEG of the device's (channel's) picture. */
  snapshot?(channel: number | undefined, signal?: AbortSignal): Promise<Buffer>;
  close(): Promise<void>;
}

/** A driver's own metric sample; the core exposes it on /metrics as is (names `gridgate_<driver>_...`). */
export interface DriverMetric {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  labels?: Record<string, string>;
  value: number;
}

export type DriverMetricFamily = Pick<DriverMetric, 'name' | 'help' | 'type'>;

export interface DriverHealth {
  /** Per device id: what /api/status shows under `drivers.<name>.devices`. */
  devices: Record<string, Record<string, unknown>>;
  metrics: DriverMetric[];
}

export type RawValue = number | boolean | string | null;

/** A value as the driver read it, before the pipeline normalizes it into a Reading. */
export interface RawSample {
  device: string;
  point: string;
  /** Milliseconds since epoch: device time where the device gives one, else read time. */
  ts: number;
  raw: RawValue;
  /** Default `good`; `bad` requires `error` and is sent with value null. */
  quality?: Quality;
  /** What went wrong, in words a technician can act on (`modbus exception 2 ... at holding 101 on unit 3 @ 10.0.0.7:502`). */
  error?: string;
}

/** An event a driver raises (camera analytics, device-side alarms). The core adds id, mode, and seq. */
export interface DriverEvent {
  device: string;
  type: string;
  state: EventState;
  severity?: Severity;
  /** Pairs `active` with its `cleared`; defaults to `{device}:{type}[:{channel}]`. */
  key?: string;
  /** Milliseconds since epoch; defaults to now. */
  ts?: number;
  channel?: number;
  point?: string;
  zone?: string;
  topic?: string;
  message?: string;
  data?: Record<string, unknown>;
  /** A picture to publish on `snapshots/{eventId}` with the event. */
  snapshot?: Buffer;
  /** How the event gate may suppress a storm of this type (see gateway/rules/event-gate.ts); default `storm`. */
  suppression?: SuppressionPolicy;
  /** Set by `DriverContext.hold`: the event's row in the held-events journal. */
  heldId?: number;
}

/** `storm`: one per key per window, the rest counted; `fold`: also keeps the folded ones' times and object ids; `never`: all sent. */
export type SuppressionPolicy = 'storm' | 'fold' | 'never';

export interface DeviceStatusUpdate {
  status: Exclude<DeviceStatus, 'disabled'>;
  /** Why, when not online (`no answer to GetSystemDateAndTime in 5000 ms`). */
  error?: string;
  /**
   * Model, firmware, channels, subscription health... merged into the device state's meta; a key
   * given as null is removed, and `reason` is removed when the device is online again.
   */
  meta?: Record<string, unknown>;
}

/** What the core gives a driver. All calls are cheap and never throw. */
export interface DriverContext {
  log: Logger;
  clock: Clock;
  /** Raw values, ideally one call per poll cycle or message. */
  samples(batch: RawSample[]): void;
  /**
   * Resolves when what this driver handed in so far (samples, and the readings they became) is
   * durable in the outbox; rejects when it could not be stored. A driver that acknowledges to
   * its device (MQTT PUBACK) waits for this first, so an acknowledged value survives a kill -9.
   * Optional: contexts without an outbox (tests, previews) resolve at once.
   */
  committed?(): Promise<void>;
  event(event: DriverEvent): void;
  /**
   * Journals an event the driver will hand in later (after fetching its picture) and returns its
   * journal id, to be set as `heldId` on the event when it is handed in. A driver that cannot get
   * the event again (an ONVIF pull has no acknowledgement) holds it first, so a kill -9 during the
   * fetch does not lose it: at the next start the core sends it without its picture.
   * Optional: contexts without an outbox (tests, previews) return undefined.
   */
  hold?(event: DriverEvent): number | undefined;
  /** A device's status; the core publishes device state and device.offline/online events on change. */
  status(deviceId: string, update: DeviceStatusUpdate): void;
  /** The site's operating mode now (drivers use it for per-mode poll intervals). */
  mode(): Mode;
  /** Called after each mode change; returns an unsubscribe function. */
  onModeChange(listener: (mode: Mode) => void): () => void;
  /** A message or value from a device was refused (gridgate_ingest_rejected_total, /api/status). */
  rejected?(deviceId: string, reason: IngestRejectReason): void;
  /** Durable state of device counters, so continuous totals survive a gateway restart. */
  counters?: CounterStateStore;
  /**
   * Overload policy (pipeline/overload-guard.ts): how many times its configured interval a
   * device's polls should now be apart (1 = as configured). A poller that asks before each
   * scheduling stretches its interval instead of having its polls thinned after they were made.
   */
  pollStretch?(deviceId: string): number;
}

/** Why input from a device was refused, as counted in gridgate_ingest_rejected_total{reason}. */
export const INGEST_REJECT_REASONS = ['malformed', 'duplicate-key', 'acl', 'auth', 'oversize', 'stale-time', 'implausible', 'out-of-order'] as const;
export type IngestRejectReason = (typeof INGEST_REJECT_REASONS)[number];

/** Small durable state per device counter point (kept beside the outbox, written within about a second). */
export interface CounterStateStore {
  get(deviceId: string, point: string): CounterState | undefined;
  /** Keeps the state (copied); written to disk soon, and at stop. */
  set(deviceId: string, point: string, state: CounterState): void;
}

export interface DiscoverOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface DiscoveredDevice {
  driver: string;
  /** A stable identity (ONVIF endpoint reference, serial number). */
  identity: string;
  address: string;
  name?: string;
  model?: string;
  meta?: Record<string, unknown>;
}
