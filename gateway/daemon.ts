import { join } from 'node:path';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config/schema/gateway-config.js';
import { DRIVER_MODULES } from '../drivers/index.js';
import { registerBuiltinCommands } from './commands/builtin-commands.js';
import type { CommandDispatcher } from './commands/command-dispatcher.js';
import { readSecret } from './config/secrets.js';
import { TypedBus } from './core/bus.js';
import { type Clock, systemClock } from './core/clock.js';
import { buildCoreParts } from './composition/build-parts.js';
import { wireDataFlow } from './composition/data-flow.js';
import { resendHeldEvents } from './composition/held-events.js';
import { gatewayStatus, progressProbe, readiness, refreshMetrics } from './composition/health.js';
import type { CoreParts, GatewayParts } from './composition/parts.js';
import { applyConfig, type ConfigChange } from './composition/reconfigure.js';
import { createUplink } from './composition/uplink-factory.js';
import type { Mode } from './core/model.js';
import { GATEWAY_VERSION } from './core/version.js';
import type { DeviceManager } from './devices/device-manager.js';
import type { DeviceTestContext, DeviceTrial, Driver, RawSample } from './devices/driver.js';
import { createDrivers, type DriverModule } from './devices/driver-module.js';
import type { GatewayFacade, GatewayStatus } from './facade.js';
import type { GatewayExtension } from './extension.js';
import { certificateNames, httpsWanted, isLoopback } from './http/access.js';
import { startHttpServer } from './http/http-server.js';
import type { ProgressProbe } from './observability/health-watchdog.js';
import { IngestRejections } from './observability/ingest-rejections.js';
import { GatewayMetrics } from './observability/metrics.js';
import { type OpenedDatabase, openGatewayDatabase } from './storage/sqlite-database.js';
import type { GatewayBusEvents } from './pipeline/bus-events.js';
import type { EventInput } from './pipeline/event-factory.js';
import { SiteRules } from './rules/site-rules.js';
import type { SparkplugUplink } from './uplink/sparkplug/sparkplug-uplink.js';
import type { Uplink } from './uplink/uplink.js';

export interface GatewayOptions {
  config: Readonly<GatewayConfig>;
  /** Folder relative secret files are read from. */
  baseDir: string;
  log: Logger;
  clock?: Clock;
  drivers?: Map<string, Driver>;
  /** The driver modules of this build (default: drivers/index.ts). */
  driverModules?: readonly DriverModule[];
  env?: NodeJS.ProcessEnv;
  /** Parts beside the data path (the UI); see extension.ts. */
  extensions?: GatewayExtension[];
}

/**
 * The composition root: builds every part from the validated configuration and wires the flow
 * driver → bus → pipeline → outbox → uplink. Constructors only assign; `start()` opens files
 * and sockets; `stop()` closes them in the reverse order within a deadline.
 */
export class Gateway implements GatewayFacade {
  readonly metrics = new GatewayMetrics();
  /** Refused device input by device and reason (metrics and /api/status). */
  readonly rejections = new IngestRejections(this.metrics.ingestRejected);
  readonly bus: TypedBus<GatewayBusEvents>;
  private readonly clock: Clock;
  private readonly startedAt: number;
  private parts: GatewayParts | undefined;
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
      ? await (await import('./ui/tls-certificate.js')).ensureSelfSignedCertificate(
          join(config.dataDir, 'ui'),
          certificateNames(config.http.host, config.http.allowedHosts),
        )
      : undefined;
    if (tls) this.o.log.info({ fingerprint: tls.fingerprint }, 'HTTPS with a self-signed certificate: compare this fingerprint when the browser asks');
    else if (!isLoopback(config.http.host))
      this.o.log.warn({ host: config.http.host }, 'plain HTTP beyond loopback (http.tls: false): passwords cross the network in clear');
    this.tlsFingerprint = tls?.fingerprint;
    const metricsToken = config.http.metrics.token && readSecret(config.http.metrics.token, this.o.baseDir, this.o.env ?? process.env);
    this.http = await startHttpServer({
      https: tls && { key: tls.key, cert: tls.cert },
      allowedHosts: config.http.allowedHosts,
      metricsToken,
      authenticated: this.o.extensions?.some((e) => e.authenticated)
        ? (req) => (this.o.extensions ?? []).some((e) => e.authenticated?.(req) === true)
        : undefined,
      host: config.http.host,
      port: config.http.port,
      log: this.o.log,
      metrics: this.metrics,
      refreshMetrics: () => refreshMetrics(this.parts, this.metrics, this.clock),
      readiness: () => readiness(this.parts),
      status: () => this.status(),
      plugins: (this.o.extensions ?? []).filter((e) => e.registerHttp).map((e) => (app) => e.registerHttp!(app, this)),
    });
    parts.uplink.start();
    parts.overload.start();
    this.raise({
      type: 'gateway.started',
      state: 'pulse',
      severity: 'info',
      source: {},
      message: `gridgate ${GATEWAY_VERSION} started in ${parts.modes.mode} mode`,
      data: { version: GATEWAY_VERSION },
    });
    // What the last run held for a picture and never stored (killed meanwhile): sent now, before the devices' new events.
    resendHeldEvents(parts.held, { bus: this.bus, accept: parts.accept, log: this.o.log.child({ component: 'events' }) });
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
    this.o.log.info(
      { http: `${tls ? 'https' : 'http'}://${config.http.host}:${this.http.port}`, devices: config.devices.length, mode: parts.modes.mode },
      'gridgate started',
    );
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

  /** Moves the running gateway to a new configuration, restarting only what changed (composition/reconfigure.ts). */
  applyConfig(next: Readonly<GatewayConfig>): Promise<ConfigChange> {
    return applyConfig(
      {
        parts: () => this.require(),
        current: () => this.current,
        setCurrent: (config) => {
          this.current = config;
        },
        makeRules: (parts) => this.makeRules(parts),
        makeUplink: (parts) => this.makeUplink(parts),
        log: this.o.log,
      },
      next,
    );
  }

  /** Where extensions add commands (commands/remote-config.ts). */
  get commands(): CommandDispatcher {
    return this.require().dispatcher;
  }

  get driverModules(): readonly DriverModule[] {
    return this.o.driverModules ?? DRIVER_MODULES;
  }

  freshDrivers(readSecretRef: (ref: Parameters<typeof readSecret>[0]) => string): Map<string, Driver> {
    return createDrivers(this.driverModules, { readSecret: readSecretRef });
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
    return progressProbe(
      () => this.parts,
      () => this.require(),
    );
  }

  status(): GatewayStatus {
    return gatewayStatus(this.require(), this.current, this.rejections);
  }

  /** Opens the database and builds every part on it; a part that cannot be built (a platform secret that cannot be read) closes the file again. */
  private build(): GatewayParts {
    const config = this.current;
    const opened = openGatewayDatabase(
      join(config.dataDir, 'gridgate.db'),
      config.outbox.synchronous,
      this.o.log.child({ component: 'outbox' }),
      this.clock.now(),
    );
    try {
      return this.buildParts(opened);
    } catch (err) {
      opened.db.close();
      throw err;
    }
  }

  private buildParts(opened: OpenedDatabase): GatewayParts {
    const config = this.current;
    const drivers =
      this.o.drivers ??
      createDrivers(this.driverModules, { readSecret: (ref) => readSecret(ref, this.o.baseDir, this.o.env ?? process.env), stateDir: config.dataDir });
    // Drivers' own health on /metrics (e.g. gridgate_onvif_resubscribes_total), read at each scrape.
    // Read through this.parts so a rebuilt gateway reports its current drivers.
    for (const d of drivers.values())
      if (d.metricFamilies)
        this.metrics.addDriverMetrics(d.metricFamilies, () => [...(this.parts?.drivers.values() ?? [])].flatMap((x) => x.health?.().metrics ?? []));
    const core = buildCoreParts(opened, {
      current: () => this.current,
      clock: this.clock,
      log: this.o.log,
      metrics: this.metrics,
      bus: this.bus,
      drivers,
      raise: (e) => this.raise(e),
      rejected: (device, reason) => this.rejections.add(device, reason),
      uplink: () => parts.uplink,
    });
    const { dispatcher, devices, events, accept } = core;
    // The platform connection and the site rules are rebuilt when their configuration changes.
    const parts: GatewayParts = { ...core, uplink: this.makeUplink(core), rules: this.makeRules(core) };
    // The flow: driver samples → normalizer → outbox; driver events → event gate → outbox (composition/data-flow.ts).
    wireDataFlow(parts, { bus: this.bus, metrics: this.metrics, raise: (e, snapshot, heldId) => this.raise(e, snapshot, heldId) });
    registerBuiltinCommands(dispatcher, {
      setMode: (mode, by, reason) => this.setMode(mode, by, reason),
      resync: () => parts.uplink.resync(),
      writePoint: (device, point, value) => devices.writePoint(device, point, value),
      snapshot: async (device, channel) => {
        const picture = await devices.snapshot(device, channel);
        // A requested picture is never suppressed: it bypasses the gate.
        const event = events.create({
          type: 'vendor.snapshot',
          state: 'pulse',
          severity: 'info',
          source: { device, channel },
          message: `snapshot of ${device}${channel === undefined ? '' : ` channel ${channel}`} on request`,
          snapshot: { contentType: 'image/jpeg', bytes: picture.length },
        });
        accept(event, picture);
        return { eventId: event.id };
      },
    });
    if (opened.movedAside) {
      const { path, reason } = opened.movedAside;
      const event = events.create({
        type: 'gateway.data_dropped',
        state: 'pulse',
        severity: 'critical',
        source: {},
        message: `outbox database was corrupt and was replaced; the old file is ${path}`,
        data: { lane: 'all', reason: 'outbox_corrupt', movedTo: path, detail: reason },
      });
      accept(event);
    }
    return parts;
  }

  private makeUplink(core: CoreParts): Uplink | SparkplugUplink {
    const config = this.current;
    const password = config.platform.password ? readSecret(config.platform.password, this.o.baseDir, this.o.env) : undefined;
    return createUplink(core, {
      config: () => this.current,
      password,
      startedAt: this.startedAt,
      bus: this.bus,
      metrics: this.metrics,
      clock: this.clock,
      log: this.o.log,
    });
  }

  private makeRules(core: CoreParts): SiteRules {
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
  private raise(input: EventInput, snapshot?: Buffer, heldId?: number): string | undefined {
    return this.require().gate.raise(input, snapshot, heldId);
  }

  private require() {
    if (!this.parts) throw new Error('gateway not started');
    return this.parts;
  }
}
