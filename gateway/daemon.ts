import { join } from 'node:path';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema/gateway-config.js';
import { createDrivers } from '../drivers/registry.js';
import { registerBuiltinCommands } from './commands/builtin-commands.js';
import { CommandDispatcher } from './commands/command-dispatcher.js';
import { readSecret } from './config/secrets.js';
import { TypedBus } from './core/bus.js';
import { type Clock, monotonicMs, systemClock } from './core/clock.js';
import { createIdFactory, type IdFactory } from './core/ids.js';
import { type GatewayEvent, MODES, type Mode, type Reading } from './core/model.js';
import { GATEWAY_VERSION } from './core/version.js';
import { DeviceManager } from './devices/device-manager.js';
import type { DeviceTestContext, DeviceTrial, Driver, RawSample } from './devices/driver.js';
import type { GatewayExtension } from './extension.js';
import { certificateNames, httpsWanted, isLoopback } from './http/access.js';
import { type HealthCheck, startHttpServer } from './http/http-server.js';
import { ModeManager } from './modes/mode-manager.js';
import type { ProgressProbe } from './observability/health-watchdog.js';
import { IngestRejections } from './observability/ingest-rejections.js';
import { GatewayMetrics } from './observability/metrics.js';
import { DiskReserve } from './outbox/disk-reserve.js';
import { DropReporter } from './outbox/drop-reporter.js';
import { openGatewayDatabase } from './outbox/sqlite-database.js';
import { SqliteCounterStore } from './outbox/sqlite-counter-store.js';
import { SqliteOutbox } from './outbox/sqlite-outbox.js';
import { SqliteStateStore } from './outbox/sqlite-state-store.js';
import type { GatewayBusEvents } from './pipeline/bus-events.js';
import { EventFactory, type EventInput } from './pipeline/event-factory.js';
import { Normalizer } from './pipeline/normalizer.js';
import { OverloadGuard } from './pipeline/overload-guard.js';
import { EventGate } from './rules/event-gate.js';
import { SiteRules } from './rules/site-rules.js';
import { SparkplugUplink } from './uplink/sparkplug/sparkplug-uplink.js';
import { Uplink } from './uplink/uplink.js';

/** Ballast beside the outbox, released when the disk fills up (1 MiB). */
const RESERVE_BYTES = 1024 * 1024;

export interface GatewayOptions {
  config: Readonly<GatewayConfig>;
  /** Folder relative secret files are read from. */
  baseDir: string;
  log: Logger;
  clock?: Clock;
  drivers?: Map<string, Driver>;
  env?: NodeJS.ProcessEnv;
  /** Parts beside the data path (the UI); see extension.ts. */
  extensions?: GatewayExtension[];
}

/**
 * The composition root: builds every part from the validated configuration and wires the flow
 * driver → bus → pipeline → outbox → uplink. Constructors only assign; `start()` opens files
 * and sockets; `stop()` closes them in the reverse order within a deadline.
 */
export class Gateway {
  readonly metrics = new GatewayMetrics();
  /** Refused device input by device and reason (metrics and /api/status). */
  readonly rejections = new IngestRejections(this.metrics.ingestRejected);
  readonly bus: TypedBus<GatewayBusEvents>;
  private readonly clock: Clock;
  private readonly startedAt: number;
  private parts: Awaited<ReturnType<Gateway['build']>> | undefined;
  /** The configuration in force: the one given, then whatever applyConfig moved to. */
  private current: Readonly<GatewayConfig>;
  private http: Awaited<ReturnType<typeof startHttpServer>> | undefined;
  private tlsFingerprint: string | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly o: GatewayOptions) {
    this.clock = o.clock ?? systemClock;
    this.startedAt = this.clock.now();
    this.current = o.config;
    this.bus = new TypedBus<GatewayBusEvents>(o.log.child({ component: 'bus' }));
  }

  async start(): Promise<void> {
    const parts = this.build();
    this.parts = parts;
    const config = this.current;
    // Loaded only when HTTPS is on: the certificate library costs several MB of memory.
    // HTTPS by default beyond loopback (docs/security.md). Loaded only when on: the certificate library costs several MB of memory.
    const tls = httpsWanted(config.http)
      ? await (await import('./ui/tls-certificate.js')).ensureSelfSignedCertificate(join(config.dataDir, 'ui'), certificateNames(config.http.host, config.http.allowedHosts))
      : undefined;
    if (tls) this.o.log.info({ fingerprint: tls.fingerprint }, 'HTTPS with a self-signed certificate: compare this fingerprint when the browser asks');
    else if (!isLoopback(config.http.host)) this.o.log.warn({ host: config.http.host }, 'plain HTTP beyond loopback (http.tls: false): passwords cross the network in clear');
    this.tlsFingerprint = tls?.fingerprint;
    const metricsToken = config.http.metrics.token && readSecret(config.http.metrics.token, this.o.baseDir, this.o.env ?? process.env);
    this.http = await startHttpServer({
      https: tls && { key: tls.key, cert: tls.cert },
      allowedHosts: config.http.allowedHosts,
      metricsToken,
      authenticated: this.o.extensions?.some((e) => e.authenticated) ? (req) => (this.o.extensions ?? []).some((e) => e.authenticated?.(req) === true) : undefined,
      host: config.http.host,
      port: config.http.port,
      log: this.o.log,
      metrics: this.metrics,
      refreshMetrics: () => this.refreshMetrics(),
      readiness: () => this.readiness(),
      status: () => this.status(),
      plugins: (this.o.extensions ?? []).filter((e) => e.registerHttp).map((e) => (app) => e.registerHttp!(app, this)),
    });
    parts.uplink.start();
    parts.overload.start();
    this.raise({ type: 'gateway.started', state: 'pulse', severity: 'info', source: {}, message: `gridgate ${GATEWAY_VERSION} started in ${parts.modes.mode} mode`, data: { version: GATEWAY_VERSION } });
    parts.counters.start();
    await parts.devices.start(config.devices);
    parts.rules.start();
    for (const extension of this.o.extensions ?? []) {
      try {
        await extension.start?.(this);
      } catch (err) {
        this.o.log.error({ err, extension: extension.name }, 'extension failed to start');
      }
    }
    this.o.log.info({ http: `${tls ? 'https' : 'http'}://${config.http.host}:${this.http.port}`, devices: config.devices.length, mode: parts.modes.mode }, 'gridgate started');
  }

  /**
   * Orderly stop: drivers, then pending drop reports and what is buffered are committed, then the
   * uplink says offline, then files close. Completes in every state: each step runs even when an
   * earlier one threw (logged), and the parts stay reachable until the outbox is closed, so a drop
   * report raised during the stop still finds the outbox. A second call waits for the first.
   */
  stop(timeoutMs = 5000): Promise<void> {
    this.stopping ??= this.stopParts(timeoutMs).finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }

  private async stopParts(timeoutMs: number): Promise<void> {
    const parts = this.parts;
    if (!parts) return;
    const signal = AbortSignal.timeout(timeoutMs);
    const step = async (name: string, run: () => unknown): Promise<void> => {
      try {
        await run();
      } catch (err) {
        this.o.log.error({ err, step: name }, 'stop step failed; going on with the others');
      }
    };
    for (const extension of [...(this.o.extensions ?? [])].reverse()) await step(`extension ${extension.name}`, () => extension.stop?.());
    await step('devices', () => parts.devices.stop(signal));
    await step('overload guard', () => parts.overload.stop());
    await step('counters', () => parts.counters.stop());
    await step('rules', () => parts.rules.stop());
    await step('event gate', () => parts.gate.flush());
    await step('drop reports', () => parts.dropReporter.flush());
    await step('outbox flush', () => parts.outbox.flush());
    await step('uplink', () => parts.uplink.stop(Math.min(2000, timeoutMs)));
    await step('http', () => this.http?.app.close());
    this.parts = undefined;
    await step('outbox close', () => parts.outbox.close());
    this.o.log.info('gridgate stopped');
  }

  get httpPort(): number | undefined {
    return this.http?.port;
  }

  /** The UI's scheme and, with HTTPS, the SHA-256 fingerprint of its certificate (shown with the setup code). */
  get httpInfo(): { scheme: 'http' | 'https'; fingerprint?: string } {
    return this.tlsFingerprint ? { scheme: 'https', fingerprint: this.tlsFingerprint } : { scheme: 'http' };
  }

  /** Switches the site mode (command, UI, rules). */
  setMode(mode: Mode, by: string, reason: string): { mode: Mode; previous: Mode } {
    const parts = this.require();
    const previous = parts.modes.mode;
    parts.modes.set(mode, by, reason, this.clock.now());
    return { mode, previous };
  }

  /** The configuration the gateway runs with (validated, frozen). */
  get config(): Readonly<GatewayConfig> {
    return this.current;
  }

  /**
   * Moves the running gateway to a new configuration, restarting only what changed: devices are
   * added, updated or removed one by one; zones, rules, calendar and mode policies are rebuilt;
   * a new platform connection is made if the platform changed. Settings that need a process
   * restart (ids, data folder, outbox, HTTP, log) are listed, not applied. If a step fails, the
   * previous configuration is applied again and the error is thrown.
   */
  async applyConfig(next: Readonly<GatewayConfig>): Promise<{ changed: string[]; restartRequired: string[] }> {
    const previous = this.current;
    try {
      return await this.moveTo(next);
    } catch (err) {
      this.o.log.error({ err }, 'configuration change failed: rolling back');
      await this.moveTo(previous).catch((rollbackErr: unknown) => this.o.log.fatal({ err: rollbackErr }, 'rollback failed'));
      throw err;
    }
  }

  private async moveTo(next: Readonly<GatewayConfig>): Promise<{ changed: string[]; restartRequired: string[] }> {
    const parts = this.require();
    const prev = this.current;
    const differs = (k: keyof GatewayConfig) => JSON.stringify(prev[k]) !== JSON.stringify(next[k]);
    const restartRequired = (['gateway', 'site', 'dataDir', 'outbox', 'http', 'log'] as const).filter(differs);
    const changed: string[] = [];
    this.current = next;
    if (differs('devices')) {
      const r = await parts.devices.apply(next.devices);
      changed.push(...r.added.map((id) => `devices: added ${id}`), ...r.updated.map((id) => `devices: updated ${id}`), ...r.removed.map((id) => `devices: removed ${id}`));
    }
    if (differs('zones') || differs('rules') || differs('calendar') || differs('modes')) {
      parts.rules.stop();
      parts.rules = this.makeRules(parts);
      parts.rules.start();
      changed.push('zones, rules and modes rebuilt');
    }
    if (differs('platform')) {
      const uplink = this.makeUplink(parts); // first, so a bad secret fails before anything stops
      await parts.uplink.stop(2000);
      parts.uplink = uplink;
      uplink.start();
      changed.push('platform connection restarted');
    }
    if (differs('batching') || differs('snapshots')) changed.push('batching and snapshot policy');
    this.o.log.info({ changed, restartRequired }, 'configuration applied');
    return { changed, restartRequired };
  }

  /** Where extensions add commands (commands/remote-config.ts). */
  get commands(): CommandDispatcher {
    return this.require().dispatcher;
  }

  get logger(): Logger {
    return this.o.log;
  }

  /** Every device's current state. */
  deviceStates() {
    return this.require().devices.states();
  }

  /** Writes an engineering value to a writable point (limits checked, converted to raw). */
  writePoint(device: string, point: string, value: number | boolean | string): Promise<void> {
    return this.require().devices.writePoint(device, point, value);
  }

  /** One on-demand read, normalized like a polled value (the UI's "test read"). */
  async readPoint(device: string, point: string) {
    const parts = this.require();
    const sample: RawSample = await parts.devices.read(device, point);
    return parts.normalizer.preview(sample);
  }

  /** Test before save through the running driver (its serial line's queue, its broker); see DeviceManager.testDevice. */
  testDevice(device: Parameters<DeviceManager['testDevice']>[0], test: DeviceTestContext): Promise<DeviceTrial | undefined> {
    return this.require().devices.testDevice(device, test);
  }

  /** A secret reference resolved as this daemon's drivers resolve it (its folder, its environment), `extra` on top. */
  readSecret(ref: Parameters<typeof readSecret>[0], extra: Record<string, string> = {}): string {
    return readSecret(ref, this.o.baseDir, { ...(this.o.env ?? process.env), ...extra });
  }

  /** A JPEG from a device that can take one (not published). */
  takeSnapshot(device: string, channel?: number): Promise<Buffer> {
    return this.require().devices.snapshot(device, channel);
  }

  /** Accepts an event into the outbox (rules, UI actions); returns its id. */
  raiseEvent(input: EventInput, snapshot?: Buffer): string | undefined {
    return this.raise(input, snapshot);
  }

  /** What the systemd watchdog checks (see observability/health-watchdog.ts). */
  progressProbe(): ProgressProbe {
    return {
      delivered: () => this.parts?.uplink.delivered ?? 0,
      backlog: () => {
        const s = this.require().outbox.stats();
        return s.events.count + s.telemetry.count;
      },
      uplinkConnected: () => this.parts?.uplink.status.connected ?? false,
      checkOutbox: () => void this.require().outbox.stats(),
    };
  }

  status() {
    const parts = this.require();
    return {
      gateway: this.current.gateway,
      site: this.current.site,
      version: GATEWAY_VERSION,
      mode: parts.modes.mode,
      uplink: parts.uplink.status,
      outbox: parts.outbox.stats(),
      overload: parts.overload.status(),
      zones: parts.rules.zones.status(),
      devices: parts.devices.states(),
      ingestRejected: this.rejections.snapshot(),
      // Per driver: device health beyond status (ONVIF: subscription open/resubscribes/lost/resumes).
      drivers: Object.fromEntries([...parts.drivers].flatMap(([name, d]) => (d.health ? [[name, d.health().devices]] : []))),
    };
  }

  private build() {
    const { log } = this.o;
    const config = this.current;
    const ids = createIdFactory();
    const opened = openGatewayDatabase(join(config.dataDir, 'gridgate.db'), config.outbox.synchronous, log.child({ component: 'outbox' }), this.clock.now());
    const store = new SqliteStateStore(opened.db);
    const counters = new SqliteCounterStore(opened.db);
    const reserve = new DiskReserve(join(config.dataDir, 'gridgate.reserve'), RESERVE_BYTES);
    reserve.ensure();
    const outbox = new SqliteOutbox({ db: opened.db, reserve, freeSpace: { dir: config.dataDir, minBytes: config.outbox.minFreeBytes }, gateway: config.gateway, site: config.site, capacityBytes: config.outbox.capacityBytes, log: log.child({ component: 'outbox' }), clock: this.clock });
    const modes = new ModeManager(store, config.modes.initial, log.child({ component: 'modes' }), this.clock.now());
    const events = new EventFactory(ids, this.clock, () => modes.mode);
    const normalizer = new Normalizer(ids, this.clock, log.child({ component: 'pipeline' }));
    const dispatcher = new CommandDispatcher(store, this.clock, log.child({ component: 'commands' }), this.metrics);
    const drivers = this.o.drivers ?? createDrivers({ readSecret: (ref) => readSecret(ref, this.o.baseDir, this.o.env ?? process.env), stateDir: config.dataDir });
    // Drivers' own health on /metrics (e.g. gridgate_onvif_resubscribes_total), read at each scrape.
    // Read through this.parts so a rebuilt gateway reports its current drivers.
    for (const d of drivers.values()) if (d.metricFamilies) this.metrics.addDriverMetrics(d.metricFamilies, () => [...(this.parts?.drivers.values() ?? [])].flatMap((x) => x.health?.().metrics ?? []));
    const devices = new DeviceManager({
      drivers,
      bus: this.bus,
      clock: this.clock,
      log: log.child({ component: 'devices' }),
      mode: () => modes.mode,
      onModeChange: (l) => modes.onChange((c) => l(c.mode)),
      rejected: (device, reason) => this.rejections.add(device, reason),
      counters,
      committed: () => outbox.committed(),
    });
    const dropReporter = new DropReporter((e) => this.raise(e), () => monotonicMs(this.clock), log.child({ component: 'outbox' })); // its window is a duration
    const accept = (event: GatewayEvent, snapshot?: Buffer) => {
      outbox.appendEvent(event, snapshot);
      if (snapshot) this.bus.emit('event-picture', { id: event.id, picture: snapshot });
      this.bus.emit('event', event);
    };
    const acceptReadings = (readings: Reading[]) => {
      outbox.appendReadings(readings);
      this.metrics.readingsIn.inc(readings.length);
      this.bus.emit('readings', readings);
    };
    const gate = new EventGate({
      config: () => this.current,
      events,
      clock: this.clock,
      log: log.child({ component: 'events' }),
      mode: () => modes.mode,
      camerasFor: (source) => devices.camerasFor(source),
      snapshot: (device, channel) => devices.snapshot(device, channel),
      accept,
    });
    const overload = new OverloadGuard({
      signals: {
        connected: () => parts.uplink.status.connected,
        backlogAgeMs: () => {
          const oldest = outbox.stats().telemetry.oldestMs;
          return oldest === undefined ? 0 : Math.max(0, this.clock.now() - oldest);
        },
        capacityUsed: () => {
          const st = outbox.stats();
          return (st.events.bytes + st.telemetry.bytes) / st.capacityBytes;
        },
        commitBusyMs: () => outbox.commitBusyMs(),
        kindOf: (device) => devices.config(device)?.kind,
      },
      log: log.child({ component: 'overload' }),
      onShed: (count, fromMs, toMs) => {
        this.metrics.dropped.inc({ lane: 'telemetry', reason: 'overload' }, count);
        dropReporter.add({ lane: 'telemetry', reason: 'overload', count, bytes: 0, fromMs, toMs });
      },
      onChange: (status) => {
        this.metrics.overload.set(status.keepOneIn);
        this.raise({
          type: 'vendor.gateway_overload',
          state: status.overloaded ? 'active' : 'cleared',
          severity: status.overloaded ? 'major' : 'info',
          key: 'gateway:overload',
          source: {},
          message: status.overloaded ? `gateway overloaded: ${status.reason}; polls of low-priority devices thinned` : `gateway no longer overloaded; ${status.shed} readings were thinned at the edge`,
          data: { ...status },
        });
        parts.uplink.publishState();
      },
    });
    const core = { outbox, store, counters, modes, events, normalizer, dispatcher, devices, drivers, dropReporter, gate, ids, acceptReadings, overload };
    // The platform connection and the site rules are rebuilt when their configuration changes.
    const parts = { ...core, uplink: this.makeUplink(core), rules: this.makeRules(core) };

    // The flow: driver samples → normalizer → outbox; driver events → event gate → outbox.
    this.bus.on('device-configured', (d) => normalizer.setDevicePoints(d.id, d.points));
    this.bus.on('samples', (batch) => {
      if (!overload.admit(batch)) return;
      const readings = normalizer.normalize(batch);
      if (readings.length > 0) acceptReadings(readings);
    });
    this.bus.on('readings', (readings) => parts.rules.onReadings(readings));
    this.bus.on('driver-event', (e) => {
      const zone = e.zone ?? devices.config(e.device)?.zone;
      this.raise({ ...e, source: { device: e.device, channel: e.channel, point: e.point, zone, topic: e.topic }, snapshot: undefined }, e.snapshot);
    });
    this.bus.on('event', (e) => this.metrics.eventsIn.inc({ type: e.type }));
    this.bus.on('device-state', (s) => parts.uplink.deviceState(s));
    this.bus.on('device-removed', (d) => parts.uplink.deviceRemoved(d.device));
    outbox.onDrop((d) => {
      this.metrics.dropped.inc({ lane: d.lane, reason: d.reason }, d.count);
      dropReporter.add(d);
    });
    modes.onChange((change) => {
      this.raise({ type: 'mode.changed', state: 'pulse', severity: change.mode === 'emergency' ? 'critical' : 'info', source: {}, message: `site mode ${change.previous} → ${change.mode} by ${change.by}: ${change.reason}`, data: { ...change } });
      this.bus.emit('mode-changed', change);
      parts.rules.onModeChange();
      parts.uplink.publishState();
    });
    registerBuiltinCommands(dispatcher, {
      setMode: (mode, by, reason) => this.setMode(mode, by, reason),
      resync: () => parts.uplink.resync(),
      writePoint: (device, point, value) => devices.writePoint(device, point, value),
      snapshot: async (device, channel) => {
        const picture = await devices.snapshot(device, channel);
        // A requested picture is never suppressed: it bypasses the gate.
        const event = events.create({ type: 'vendor.snapshot', state: 'pulse', severity: 'info', source: { device, channel }, message: `snapshot of ${device}${channel === undefined ? '' : ` channel ${channel}`} on request`, snapshot: { contentType: 'image/jpeg', bytes: picture.length } });
        accept(event, picture);
        return { eventId: event.id };
      },
    });
    if (opened.movedAside) {
      const { path, reason } = opened.movedAside;
      const event = events.create({ type: 'gateway.data_dropped', state: 'pulse', severity: 'critical', source: {}, message: `outbox database was corrupt and was replaced; the old file is ${path}`, data: { lane: 'all', reason: 'outbox_corrupt', movedTo: path, detail: reason } });
      accept(event);
    }
    return parts;
  }

  private makeUplink(core: { outbox: SqliteOutbox; dispatcher: CommandDispatcher; modes: ModeManager; devices: DeviceManager; store: SqliteStateStore }): Uplink | SparkplugUplink {
    const config = this.current;
    const password = config.platform.password ? readSecret(config.platform.password, this.o.baseDir, this.o.env) : undefined;
    if (config.platform.profile === 'sparkplug-b') {
      const { gateway, site } = config;
      const devices = core.devices;
      const zones = () => this.current.zones.map((z) => z.id);
      return new SparkplugUplink({ gateway, site, version: GATEWAY_VERSION, platform: config.platform, password, outbox: core.outbox, batching: () => core.modes.batching(this.current), mode: () => core.modes.mode, devices: () => devices.states(), deviceConfig: (id) => devices.config(id), zones, writePoint: (d, p, v) => devices.writePoint(d, p, v), store: core.store, bus: this.bus, metrics: this.metrics, clock: this.clock, log: this.o.log.child({ component: 'sparkplug' }) });
    }
    return new Uplink({
      gateway: config.gateway,
      site: config.site,
      version: GATEWAY_VERSION,
      startedAt: this.startedAt,
      platform: config.platform,
      password,
      outbox: core.outbox,
      commands: core.dispatcher,
      batching: () => core.modes.batching(this.current),
      mode: () => core.modes.mode,
      devices: () => core.devices.states(),
      metrics: this.metrics,
      clock: this.clock,
      log: this.o.log.child({ component: 'uplink' }),
    });
  }

  private makeRules(core: { modes: ModeManager; store: SqliteStateStore; ids: IdFactory; acceptReadings: (r: Reading[]) => void }): SiteRules {
    return new SiteRules({
      config: this.current,
      modes: core.modes,
      store: core.store,
      ids: core.ids,
      clock: this.clock,
      log: this.o.log.child({ component: 'rules' }),
      raise: (e) => this.raise(e),
      acceptReadings: core.acceptReadings,
      rejected: (device, reason) => this.rejections.add(device, reason),
    });
  }

  /** Accepts an event (through severity policy, storm suppression and snapshot policy); returns its id, or undefined if suppressed. */
  private raise(input: EventInput, snapshot?: Buffer): string | undefined {
    return this.require().gate.raise(input, snapshot);
  }

  private readiness(): HealthCheck[] {
    const parts = this.parts;
    if (!parts) return [{ name: 'gateway', ok: false, detail: 'not started' }];
    const uplink = parts.uplink.status;
    const stats = parts.outbox.stats();
    const used = stats.events.bytes + stats.telemetry.bytes;
    return [
      { name: 'outbox', ok: used < stats.capacityBytes * 0.95, detail: `${used} of ${stats.capacityBytes} bytes used` },
      {
        name: 'uplink',
        ok: uplink.connected,
        detail: uplink.connected ? `connected since ${new Date(uplink.since).toISOString()}` : `disconnected since ${new Date(uplink.since).toISOString()}: ${uplink.lastError ?? 'connecting'}`,
      },
    ];
  }

  private refreshMetrics(): void {
    const parts = this.parts;
    if (!parts) return;
    const s = parts.outbox.stats();
    const now = this.clock.now();
    for (const [lane, l] of [['events', s.events], ['telemetry', s.telemetry]] as const) {
      this.metrics.outboxItems.set({ lane }, l.count);
      this.metrics.outboxBytes.set({ lane }, l.bytes);
      this.metrics.outboxOldestAge.set({ lane }, l.oldestMs === undefined ? 0 : Math.max(0, (now - l.oldestMs) / 1000));
    }
    this.metrics.outboxCapacity.set(s.capacityBytes);
    const states = parts.devices.states();
    for (const status of ['online', 'offline', 'error', 'disabled']) this.metrics.devices.set({ status }, states.filter((d) => d.status === status).length);
    for (const m of MODES) this.metrics.siteMode.set({ mode: m }, m === parts.modes.mode ? 1 : 0);
  }

  private require() {
    if (!this.parts) throw new Error('gateway not started');
    return this.parts;
  }
}
