import type { GatewayConfig } from '../config/schema/gateway-config.js';
import type { Clock } from '../core/clock.js';
import { MODES } from '../core/model.js';
import { GATEWAY_VERSION } from '../core/version.js';
import type { GatewayStatus } from '../facade.js';
import type { HealthCheck } from '../http/http-server.js';
import type { ProgressProbe } from '../observability/health-watchdog.js';
import type { IngestRejections } from '../observability/ingest-rejections.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { GatewayParts } from './parts.js';

/** Health, status and metrics of a running gateway: what /readyz, /api/status, /metrics and the watchdog read. */

/** /api/status: the gateway, its mode, uplink, outbox, overload, zones, devices and drivers. */
export function gatewayStatus(parts: GatewayParts, config: Readonly<GatewayConfig>, rejections: IngestRejections): GatewayStatus {
  return {
    gateway: config.gateway,
    site: config.site,
    version: GATEWAY_VERSION,
    mode: parts.modes.mode,
    uplink: parts.uplink.status,
    outbox: parts.outbox.stats(),
    overload: parts.overload.report(),
    zones: parts.rules.zones.status(),
    devices: parts.devices.states(),
    ingestRejected: rejections.snapshot(),
    // Per driver: device health beyond status (ONVIF: subscription open/resubscribes/lost/resumes).
    drivers: Object.fromEntries([...parts.drivers].flatMap(([name, d]) => (d.health ? [[name, d.health().devices]] : []))),
  };
}

/** /readyz: the outbox has room and the uplink is connected. */
export function readiness(parts: GatewayParts | undefined): HealthCheck[] {
  if (!parts) return [{ name: 'gateway', ok: false, detail: 'not started' }];
  const uplink = parts.uplink.status;
  const stats = parts.outbox.stats();
  const used = stats.events.bytes + stats.telemetry.bytes;
  return [
    { name: 'outbox', ok: used < stats.capacityBytes * 0.95, detail: `${used} of ${stats.capacityBytes} bytes used` },
    {
      name: 'uplink',
      ok: uplink.connected,
      detail: uplink.connected
        ? `connected since ${new Date(uplink.since).toISOString()}`
        : `disconnected since ${new Date(uplink.since).toISOString()}: ${uplink.lastError ?? 'connecting'}`,
    },
  ];
}

/** Gauges read at each /metrics scrape: outbox size and age per lane, devices by status, the site mode. */
export function refreshMetrics(parts: GatewayParts | undefined, metrics: GatewayMetrics, clock: Clock): void {
  if (!parts) return;
  const s = parts.outbox.stats();
  const now = clock.now();
  for (const [lane, l] of [
    ['events', s.events],
    ['telemetry', s.telemetry],
  ] as const) {
    metrics.outboxItems.set({ lane }, l.count);
    metrics.outboxBytes.set({ lane }, l.bytes);
    metrics.outboxOldestAge.set({ lane }, l.oldestMs === undefined ? 0 : Math.max(0, (now - l.oldestMs) / 1000));
  }
  metrics.outboxCapacity.set(s.capacityBytes);
  const states = parts.devices.states();
  for (const status of ['online', 'offline', 'error', 'disabled']) metrics.devices.set({ status }, states.filter((d) => d.status === status).length);
  for (const m of MODES) metrics.siteMode.set({ mode: m }, m === parts.modes.mode ? 1 : 0);
}

/** What the systemd watchdog checks (observability/health-watchdog.ts); `require` throws when the gateway is not started. */
export function progressProbe(parts: () => GatewayParts | undefined, require: () => GatewayParts): ProgressProbe {
  return {
    delivered: () => parts()?.uplink.delivered ?? 0,
    backlog: () => {
      const s = require().outbox.stats();
      return s.events.count + s.telemetry.count;
    },
    uplinkConnected: () => parts()?.uplink.status.connected ?? false,
    checkOutbox: () => void require().outbox.stats(),
  };
}
