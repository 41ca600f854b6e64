import http from 'node:http';
import type { Logger } from 'pino';
import { errorMessage } from '../../../gateway/core/errors.js';
import { redactUrlCredentials } from '../../../gateway/core/logger.js';
import type { DriverContext, DriverEvent } from '../../../gateway/devices/driver.js';
import { AUTH_BACKOFF, backoffDelay, REACHABILITY_BACKOFF, SUBSCRIPTION_BACKOFF, sleep } from '../backoff.js';
import type { EventRegistry } from '../events/event-registry.js';
import { EventNormalizer } from '../events/normalizer.js';
import type { Notification } from '../events/notification.js';
import { PullPointSupervisor, type SubscriptionHealth } from '../events/pull-point.js';
import type { SubscriptionLedger } from '../events/subscription-ledger.js';
import { DEFAULT_TOPIC_FILTER } from '../events/topic-filter.js';
import type { OnvifDeviceConfig } from '../schema.js';
import { SnapshotBudget } from '../snapshot/snapshot-budget.js';
import { SnapshotFetcher } from '../snapshot/snapshot-fetcher.js';
import { OnvifError } from '../transport/onvif-error.js';
import { SoapClient } from '../transport/soap-client.js';
import { type CameraModel, readCameraModel } from './camera-model.js';
import { ClockOffset } from './clock-offset.js';
import { getSystemDateAndTime } from './device-calls.js';

/** Why a device is not online; shown as `meta.reason` in device state. */
export type OfflineReason = 'unreachable' | 'auth-failed' | 'subscription-failing' | 'protocol';

export interface DeviceRunnerDeps {
  ctx: DriverContext;
  registry: EventRegistry;
  password: string;
  /** Where held pull-point addresses are remembered across restarts. */
  ledger: SubscriptionLedger;
  /** Logs an unmapped topic once per driver. */
  onUnknownTopic: (topic: string, device: string) => void;
}

/** Counters for `stats()`. */
export interface DeviceStats {
  device: string;
  status: 'connecting' | 'online' | 'offline' | 'error' | 'stopped';
  reason?: OfflineReason;
  error?: string;
  clockOffsetMs: number;
  /** Times the camera model (information, profiles, URIs) was read: at connect and after each return from unreachable. */
  connects: number;
  events: number;
  samples: number;
  snapshots: number;
  snapshotsSkipped: number;
  subscription?: SubscriptionHealth;
}

/**
 * One camera or NVR: its own state machine, sockets, timers and backoff, so a slow or dead device
 * never delays another (driver contract; issue 4 "Scale"). Constructor only assigns; `start` connects.
 */
export class DeviceRunner {
  private readonly log: Logger;
  private readonly agent: http.Agent;
  private readonly clock: ClockOffset;
  private readonly client: SoapClient;
  private readonly fetcher: SnapshotFetcher;
  private readonly url: URL;
  private readonly abort = new AbortController();
  private model: CameraModel | undefined;
  /** Notification source token → channel, from the current model. */
  private tokens = new Map<string, number>();
  /** The last report was `unreachable`: on recovery the model is re-read (the camera may have rebooted). */
  private wasUnreachable = false;
  private supervisor: PullPointSupervisor | undefined;
  private normalizer: EventNormalizer | undefined;
  private budget: SnapshotBudget | undefined;
  private clockTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Events waiting behind a snapshot fetch keep their order through this chain. */
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;
  private lastStatusKey = '';
  private readonly counters: DeviceStats;

  constructor(
    readonly config: OnvifDeviceConfig,
    private readonly deps: DeviceRunnerDeps,
  ) {
    this.log = deps.ctx.log.child({ device: config.id });
    this.url = new URL(config.url);
    // A small pool per device: one long-poll plus calls and snapshots; never shared across devices.
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 4, maxFreeSockets: 2, timeout: 60_000 });
    this.clock = new ClockOffset(deps.ctx.clock);
    const where = `${config.id} (${this.url.host})`;
    this.client = new SoapClient({
      where,
      username: config.username,
      password: deps.password,
      auth: config.auth,
      timeoutMs: config.requestTimeoutMs,
      maxBytes: config.maxResponseBytes,
      clock: this.clock,
      agent: this.agent,
    });
    const s = config.snapshots;
    this.fetcher = new SnapshotFetcher({
      where,
      username: config.username,
      password: deps.password,
      agent: this.agent,
      timeoutMs: s.timeoutMs,
      maxBytes: s.maxBytes,
    });
    this.counters = { device: config.id, status: 'connecting', clockOffsetMs: 0, connects: 0, events: 0, samples: 0, snapshots: 0, snapshotsSkipped: 0 };
  }

  start(): void {
    this.running ??= this.run().catch((err) => this.log.error({ err }, 'device loop ended unexpectedly'));
  }

  /** `keepSubscription`: the gateway stops (the next run takes the pull-point up), as opposed to the device being removed. */
  async stop(deadlineMs = 2000, keepSubscription = false): Promise<void> {
    this.abort.abort();
    clearInterval(this.clockTimer);
    await this.supervisor?.stop(deadlineMs, keepSubscription);
    await this.running;
    // Events waiting for a snapshot get until the deadline; the timer is cancelled either way.
    const deadline = new AbortController();
    await Promise.race([this.tail, sleep(deadlineMs, deadline.signal)]);
    deadline.abort();
    this.counters.status = 'stopped';
    this.agent.destroy();
  }

  stats(): DeviceStats {
    return { ...this.counters, clockOffsetMs: this.clock.offset, subscription: this.supervisor?.stats() };
  }

  /** The current JPEG of a channel (1-based; default the first). */
  async snapshot(channel: number | undefined, signal?: AbortSignal): Promise<Buffer> {
    const ch = this.model?.channels.find((c) => c.channel === (channel ?? 1));
    if (!this.model) throw new OnvifError('E_ONVIF_UNREACHABLE', `${this.config.id} is not connected`);
    if (!ch) throw new OnvifError('E_ONVIF_NO_CHANNEL', `${this.config.id} has no channel ${channel} (it has ${this.model.channels.length})`);
    if (!ch.snapshotUri) throw new OnvifError('E_ONVIF_SNAPSHOT', `${this.config.id} channel ${ch.channel} offers no snapshot URI`);
    return this.fetcher.fetch(ch.snapshotUri, signal);
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    let failures = 0;
    while (!signal.aborted && !this.model) {
      try {
        await this.connect(signal);
      } catch (err) {
        if (signal.aborted) return;
        failures += 1;
        const auth = err instanceof OnvifError && err.code === 'E_ONVIF_AUTH';
        const reason = auth ? 'auth-failed' : reasonOf(err);
        this.report(reason, err);
        // An unreachable device is probed often (cheap, no account to lock) so its return is seen within seconds.
        await sleep(backoffDelay(auth ? AUTH_BACKOFF : reason === 'unreachable' ? REACHABILITY_BACKOFF : SUBSCRIPTION_BACKOFF, failures), signal);
      }
    }
  }

  private async connect(signal: AbortSignal): Promise<void> {
    await this.refreshClock(signal);
    let model: CameraModel;
    try {
      model = await readCameraModel(this.client, this.url, this.config.media2, { signal });
    } catch (err) {
      // ONVIF Core §5.12.2: NotAuthorized may mean our clock estimate is stale; re-read once, retry once.
      if (!(err instanceof OnvifError && err.code === 'E_ONVIF_AUTH')) throw err;
      await this.refreshClock(signal);
      model = await readCameraModel(this.client, this.url, this.config.media2, { signal });
    }
    if (signal.aborted) return;
    this.model = model;
    this.counters.connects += 1;
    this.tokens = tokensOf(model);
    const s = this.config.snapshots;
    this.budget ??= new SnapshotBudget({
      burst: s.burst,
      minIntervalMs: s.minIntervalMs,
      deviceBurst: s.deviceBurst ?? defaultDeviceBurst(s.burst, model.channels.length),
      deviceIntervalMs: s.deviceMinIntervalMs,
      reserve: 0.25,
    });
    this.normalizer = new EventNormalizer(this.deps.registry, {
      device: this.config.id,
      zone: this.config.zone,
      channelOf: (t) => this.tokens.get(t),
      multiChannel: model.channels.length > 1,
      onUnknownTopic: (topic) => this.deps.onUnknownTopic(topic, this.config.id),
      now: () => this.deps.ctx.clock.now(),
      toLocal: (ms) => ms - this.clock.offset,
    });
    this.clockTimer = setInterval(
      () => void this.refreshClock(signal).catch((err) => this.log.debug({ err }, 'clock refresh failed')),
      this.config.clockRefreshMs,
    );
    this.clockTimer.unref();
    this.report(undefined);
    if (this.config.events.enabled && model.services.events) this.startEvents(model.services.events);
  }

  private startEvents(eventsUrl: URL): void {
    const e = this.config.events;
    this.supervisor = new PullPointSupervisor({
      device: this.config.id,
      ledger: this.deps.ledger,
      probe: (signal) => this.refreshClock(signal),
      onDeviceTime: (text, receivedAt) => this.onDeviceTime(text, receivedAt),
      client: this.client,
      eventsUrl,
      topicFilter: e.topicFilter ?? DEFAULT_TOPIC_FILTER,
      pullTimeoutMs: e.pullTimeoutMs,
      messageLimit: e.messageLimit,
      terminationMs: e.terminationMs,
      silenceMs: e.silenceMs,
      pullGraceMs: Math.max(2000, this.config.requestTimeoutMs),
      backoff: { floorMs: e.resubscribeFloorMs, capMs: e.resubscribeCapMs, jitter: 0.3 },
      clock: this.deps.ctx.clock,
      log: this.log,
      onNotifications: (list) => this.onNotifications(list),
      onHealth: (h, err) => this.onHealth(h, err),
      onAuthFailure: () => this.refreshClock(this.abort.signal),
    });
    this.supervisor.start();
  }

  private onHealth(h: SubscriptionHealth, err?: OnvifError): void {
    if (h.state === 'active') {
      // The normalizer keeps its active set across resubscribes: the Initialized replay after
      // SetSynchronizationPoint then repeats nothing that is still active, and clears what ended.
      if (this.wasUnreachable) void this.refreshModel();
      this.report(undefined);
    } else if (h.state === 'unreachable' && err) {
      this.report('unreachable', err);
    } else if (h.state === 'backoff' && err) {
      const reason = reasonOf(err);
      // An unreachable camera is offline at once. One NotAuthorized may be clock drift (the clock
      // is re-read before the next try) and one lost subscription is routine (cameras drop them
      // on reboot or overload): only a second failure in a row changes the device's status.
      if (reason !== 'unreachable' && h.consecutiveFailures < 2) return;
      this.report(reason === 'unreachable' || reason === 'auth-failed' ? reason : 'subscription-failing', err);
    }
  }

  private onNotifications(list: Notification[]): void {
    const n = this.normalizer;
    if (!n) return;
    for (const note of list) {
      let out: ReturnType<EventNormalizer['normalize']>;
      try {
        out = n.normalize(note);
      } catch (err) {
        this.log.warn({ err }, 'notification could not be normalized');
        continue;
      }
      if (out.samples.length) {
        this.counters.samples += out.samples.length;
        this.deps.ctx.samples(out.samples);
      }
      const ev = out.event;
      if (!ev) continue;
      const types = this.config.snapshots.types;
      const wants = !ev.data?.sourceUnresolved && (types ? types.includes(ev.type) && ev.state !== 'cleared' : out.wantsSnapshot);
      // The budget decides before anything waits: an event refused a picture leaves at once
      // unless it must keep its place behind one that waits for its own.
      const fetch = wants && this.grantSnapshot(ev);
      if (!fetch && this.queued === 0) this.emit(ev);
      else this.enqueue(ev, fetch);
    }
  }

  /**
   * Pictures are fetched at once (in parallel, bounded by the device's socket pool and budget);
   * events leave in the order they came, each after its own picture.
   */
  private enqueue(ev: DriverEvent, fetchSnapshot: boolean): void {
    this.queued += 1;
    // A pulled notification is gone from the camera (no acknowledgement in ONVIF): journaled
    // before the wait, so a kill -9 during the fetch cannot lose it (DriverContext.hold).
    ev.heldId = this.deps.ctx.hold?.(ev);
    const picture = fetchSnapshot ? this.attachSnapshot(ev) : undefined;
    this.tail = this.tail.then(async () => {
      try {
        await picture;
        this.emit(ev);
      } finally {
        this.queued -= 1;
      }
    });
  }

  /** Whether the event may have a picture now (the channel's and device's budgets); says why not in `data.snapshotSkipped`. */
  private grantSnapshot(ev: DriverEvent): boolean {
    const granted = this.budget?.tryAcquire(ev.channel ?? 0, ev.severity) ?? 'device';
    if (granted === true) return true;
    this.counters.snapshotsSkipped += 1;
    ev.data = { ...ev.data, snapshotSkipped: granted === 'channel' ? 'rate-limited (channel)' : 'rate-limited (device)' };
    return false;
  }

  private async attachSnapshot(ev: DriverEvent): Promise<void> {
    try {
      ev.snapshot = await this.snapshot(ev.channel, this.abort.signal);
      this.counters.snapshots += 1;
    } catch (err) {
      this.counters.snapshotsSkipped += 1;
      ev.data = { ...ev.data, snapshotSkipped: errorMessage(err) };
      this.log.debug({ err }, 'event snapshot failed');
    }
  }

  private emit(ev: DriverEvent): void {
    this.counters.events += 1;
    this.deps.ctx.event(ev);
  }

  /**
   * Re-reads information, profiles and URIs after the camera was away (a reboot can change
   * tokens, firmware and URIs). A failure keeps the previous model; the channel count is fixed
   * for the runner's life (a changed NVR layout needs the device updated).
   */
  private async refreshModel(): Promise<void> {
    try {
      const model = await readCameraModel(this.client, this.url, this.config.media2, { signal: this.abort.signal });
      if (this.abort.signal.aborted || model.channels.length !== this.model?.channels.length) return;
      this.model = model;
      this.tokens = tokensOf(model);
      this.counters.connects += 1;
    } catch (err) {
      this.log.debug({ err }, 'camera model refresh failed; keeping the previous one');
    }
  }

  private async refreshClock(signal: AbortSignal): Promise<void> {
    const sent = this.deps.ctx.clock.now();
    const deviceMs = await getSystemDateAndTime(this.client, this.url, { signal });
    // tt:UTCDateTime has whole seconds: the true time lies in [s, s+1 s).
    this.clock.update(deviceMs, sent, this.deps.ctx.clock.now(), 1000);
  }

  /**
   * Reports status once per change (STYLE habit 7): `reason` undefined means online. Only a change
   * of status or reason is a change: the error text of a second failure of the same kind, or the
   * subscription's own state, is not (issue 11: "device online" was logged and published twice).
   */
  private report(reason: OfflineReason | undefined, err?: unknown): void {
    const status = reason === undefined ? 'online' : reason === 'subscription-failing' || reason === 'protocol' ? 'error' : 'offline';
    const error = err === undefined ? undefined : redactUrlCredentials(errorMessage(err));
    const key = `${status}|${reason}`;
    this.wasUnreachable = reason === 'unreachable' || (this.wasUnreachable && reason !== undefined);
    this.counters.status = status;
    this.counters.reason = reason;
    this.counters.error = error;
    if (key === this.lastStatusKey) return;
    this.lastStatusKey = key;
    if (reason) this.log.warn({ reason, err: error }, 'device not online');
    else this.log.info('device online');
    this.deps.ctx.status(this.config.id, { status, error, meta: this.meta(reason) });
  }

  /**
   * Each PullMessages answer carries the camera's CurrentTime (Core §9.1.3). Produced just before
   * the answer was sent, it dates the arrival within the one-way latency; when it has fractions of
   * a second it pins the offset far tighter than whole-second GetSystemDateAndTime (±0.5 s).
   */
  private onDeviceTime(text: string, receivedAt: number): void {
    const ms = Date.parse(text.trim());
    if (Number.isNaN(ms) || !/\.\d+/.test(text)) return;
    this.clock.update(ms, receivedAt, receivedAt, 0);
  }

  private meta(reason: OfflineReason | undefined): Record<string, unknown> {
    const m = this.model;
    const sub = this.supervisor?.stats();
    return {
      ...(reason ? { reason } : {}),
      ...(m
        ? {
            manufacturer: m.info.manufacturer,
            model: m.info.model,
            firmware: m.info.firmwareVersion,
            serial: m.info.serialNumber,
            media2: m.media2,
            channels: m.channels.map((c) => ({
              channel: c.channel,
              stream: c.streamUri && redactUrlCredentials(c.streamUri),
              snapshot: c.snapshotUri !== undefined,
            })),
          }
        : {}),
      clockOffsetMs: this.clock.offset,
      ...(sub
        ? {
            subscription: {
              state: sub.state,
              lastMessageAt: sub.lastMessageAt && new Date(sub.lastMessageAt).toISOString(),
              resubscribes: sub.resubscribes,
              consecutiveFailures: sub.consecutiveFailures,
            },
          }
        : {}),
    };
  }
}

/**
 * Device-wide picture cap when not configured: room for one picture per channel in a burst plus
 * the quarter kept for critical/major, at most 64 (an NVR serves a few pictures a second; 4 at a
 * time over the device's socket pool).
 */
function defaultDeviceBurst(burst: number, channels: number): number {
  return Math.min(64, Math.ceil(Math.max(burst, channels) / 0.75) + 1);
}

function tokensOf(model: CameraModel): Map<string, number> {
  const tokens = new Map<string, number>();
  for (const c of model.channels) for (const t of c.tokens) tokens.set(t, c.channel);
  return tokens;
}

function reasonOf(err: unknown): OfflineReason {
  const code = err instanceof OnvifError ? err.code : '';
  if (code === 'E_ONVIF_UNREACHABLE' || code === 'E_ONVIF_TIMEOUT') return 'unreachable';
  if (code === 'E_ONVIF_AUTH') return 'auth-failed';
  if (code === 'E_ONVIF_SUBSCRIPTION') return 'subscription-failing';
  return 'protocol';
}
