import type { Logger } from 'pino';
import type { TypedBus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { GatewayConfig } from '../config/schema/gateway-config.js';
import { GATEWAY_VERSION } from '../core/version.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { GatewayBusEvents } from '../pipeline/bus-events.js';
import { SparkplugUplink } from '../uplink/sparkplug/sparkplug-uplink.js';
import { Uplink } from '../uplink/uplink.js';
import type { CoreParts } from './parts.js';

export interface UplinkWiring {
  /** The configuration in force, read again at each call (batching per mode, zones). */
  config(): Readonly<GatewayConfig>;
  /** The platform password, already resolved (undefined: none). */
  password: string | undefined;
  startedAt: number;
  bus: TypedBus<GatewayBusEvents>;
  metrics: GatewayMetrics;
  clock: Clock;
  log: Logger;
}

/** The platform connection of the configured profile: the contract's MQTT topics, or Sparkplug B (docs/sparkplug.md). */
export function createUplink(core: CoreParts, w: UplinkWiring): Uplink | SparkplugUplink {
  const config = w.config();
  const { password } = w;
  if (config.platform.profile === 'sparkplug-b') {
    const { gateway, site } = config;
    const devices = core.devices;
    const zones = () => w.config().zones.map((z) => z.id);
    return new SparkplugUplink({
      gateway,
      site,
      version: GATEWAY_VERSION,
      platform: config.platform,
      password,
      outbox: core.outbox,
      batching: () => core.modes.batching(w.config()),
      mode: () => core.modes.mode,
      devices: () => devices.states(),
      deviceConfig: (id) => devices.config(id),
      zones,
      writePoint: (d, p, v) => devices.writePoint(d, p, v),
      store: core.store,
      bus: w.bus,
      metrics: w.metrics,
      clock: w.clock,
      log: w.log.child({ component: 'sparkplug' }),
    });
  }
  return new Uplink({
    gateway: config.gateway,
    site: config.site,
    version: GATEWAY_VERSION,
    startedAt: w.startedAt,
    platform: config.platform,
    password,
    outbox: core.outbox,
    commands: core.dispatcher,
    batching: () => core.modes.batching(w.config()),
    mode: () => core.modes.mode,
    devices: () => core.devices.states(),
    metrics: w.metrics,
    clock: w.clock,
    log: w.log.child({ component: 'uplink' }),
  });
}
