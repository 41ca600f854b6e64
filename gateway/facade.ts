import type { Logger } from 'pino';
import type { CommandDispatcher } from './commands/command-dispatcher.js';
import type { SecretRef } from './config/schema/common.js';
import type { GatewayConfig } from './config/schema/gateway-config.js';
import type { TypedBus } from './core/bus.js';
import type { DeviceState, Mode, Reading } from './core/model.js';
import type { DeviceConfigBase, DeviceTestContext, DeviceTrial, Driver, IngestRejectReason } from './devices/driver.js';
import type { DriverModule } from './devices/driver-module.js';
import type { ProgressProbe } from './observability/health-watchdog.js';
import type { GatewayMetrics } from './observability/metrics.js';
import type { OutboxStats } from './outbox/outbox.js';
import type { GatewayBusEvents } from './pipeline/bus-events.js';
import type { EventInput } from './pipeline/event-factory.js';
import type { OverloadReport } from './pipeline/overload-guard.js';
import type { ZoneEngine } from './rules/zone-engine.js';
import type { SparkplugUplink } from './uplink/sparkplug/sparkplug-uplink.js';
import type { Uplink } from './uplink/uplink.js';

/** What /api/status and the UI's status page show. */
export interface GatewayStatus {
  gateway: string;
  site: string;
  version: string;
  mode: Mode;
  uplink: Uplink['status'] | SparkplugUplink['status'];
  outbox: OutboxStats;
  overload: OverloadReport;
  zones: ReturnType<ZoneEngine['status']>;
  devices: DeviceState[];
  ingestRejected: Record<string, Partial<Record<IngestRejectReason, number>>>;
  /** Per driver: device health beyond status. */
  drivers: Record<string, Record<string, Record<string, unknown>>>;
}

/**
 * The running gateway as its extensions (the technicians' UI, remote configuration, the systemd
 * watchdog) see it: a small typed surface, so they never import the composition root
 * (gateway/daemon.ts implements it). Calls other than `config`, `bus`, `metrics`, `logger` and the
 * HTTP getters need a started gateway and throw otherwise.
 */
export interface GatewayFacade {
  /** The configuration in force (validated, frozen). */
  readonly config: Readonly<GatewayConfig>;
  /** Readings, events, device states and mode changes as they flow (listeners are isolated). */
  readonly bus: TypedBus<GatewayBusEvents>;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  /** Where extensions add commands (commands/remote-config.ts). */
  readonly commands: CommandDispatcher;
  readonly httpPort: number | undefined;
  /** The UI's scheme and, with HTTPS, the SHA-256 fingerprint of its certificate. */
  readonly httpInfo: { scheme: 'http' | 'https'; fingerprint?: string };
  /** The driver modules of this build (the UI's device forms, test-before-save, discovery). */
  readonly driverModules: readonly DriverModule[];
  status(): GatewayStatus;
  deviceStates(): DeviceState[];
  /** Switches the site mode (command, UI, rules). */
  setMode(mode: Mode, by: string, reason: string): { mode: Mode; previous: Mode };
  /** Moves the running gateway to a new configuration (see gateway/composition/reconfigure.ts). */
  applyConfig(next: Readonly<GatewayConfig>): Promise<{ changed: string[]; restartRequired: string[] }>;
  /** Writes an engineering value to a writable point (limits checked, converted to raw). */
  writePoint(device: string, point: string, value: number | boolean | string): Promise<void>;
  /** One on-demand read, normalized like a polled value (the UI's "test read"). */
  readPoint(device: string, point: string): Promise<Reading>;
  /** A JPEG from a device that can take one (not published). */
  takeSnapshot(device: string, channel?: number): Promise<Buffer>;
  /** Accepts an event into the outbox (rules, UI actions); returns its id, or undefined if suppressed. */
  raiseEvent(input: EventInput, snapshot?: Buffer): string | undefined;
  /**
   * Test before save through the running driver (its serial line's queue, its broker, its secret
   * resolution); undefined when the device's driver has no `testDevice` (then a fresh instance is used).
   */
  testDevice(device: DeviceConfigBase, test: DeviceTestContext): Promise<DeviceTrial | undefined>;
  /** A secret reference resolved as this daemon's drivers resolve it (its folder, its environment), `extra` on top. */
  readSecret(ref: SecretRef, extra?: Record<string, string>): string;
  /** Fresh driver instances of this build's modules, resolving secrets with `readSecret` (not the running ones). */
  freshDrivers(readSecret: (ref: SecretRef) => string): Map<string, Driver>;
  /** What the systemd watchdog checks (see observability/health-watchdog.ts). */
  progressProbe(): ProgressProbe;
}
