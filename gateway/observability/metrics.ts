import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DriverMetric, DriverMetricFamily } from '../devices/driver.js';

/**
 * The gateway's Prometheus metrics, on a registry of its own (no module singletons, so two
 * gateways in one test process do not share counters). Names follow Prometheus conventions:
 * base units (seconds, bytes) and `_total` for counters.
 */
export class GatewayMetrics {
  readonly registry = new Registry();

  readonly outboxItems = new Gauge({
    name: 'gridgate_outbox_items',
    help: 'Items waiting in the outbox (events, or readings)',
    labelNames: ['lane'],
    registers: [this.registry],
  });
  readonly outboxBytes = new Gauge({
    name: 'gridgate_outbox_bytes',
    help: 'Payload bytes waiting in the outbox',
    labelNames: ['lane'],
    registers: [this.registry],
  });
  readonly outboxOldestAge = new Gauge({
    name: 'gridgate_outbox_oldest_age_seconds',
    help: 'Age of the oldest waiting item (0 when empty)',
    labelNames: ['lane'],
    registers: [this.registry],
  });
  readonly outboxCapacity = new Gauge({ name: 'gridgate_outbox_capacity_bytes', help: 'Configured outbox capacity', registers: [this.registry] });
  readonly dropped = new Counter({
    name: 'gridgate_dropped_total',
    help: 'Items dropped, by lane and reason',
    labelNames: ['lane', 'reason'],
    registers: [this.registry],
  });
  readonly uplinkConnected = new Gauge({ name: 'gridgate_uplink_connected', help: '1 when connected to the platform broker', registers: [this.registry] });
  readonly uplinkConnects = new Counter({
    name: 'gridgate_uplink_connects_total',
    help: 'Successful connections to the platform broker',
    registers: [this.registry],
  });
  readonly publishLatency = new Histogram({
    name: 'gridgate_publish_latency_seconds',
    help: 'From publish to PUBACK, by lane',
    labelNames: ['lane'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly readingsIn = new Counter({ name: 'gridgate_readings_in_total', help: 'Readings accepted into the outbox', registers: [this.registry] });
  readonly readingsOut = new Counter({ name: 'gridgate_readings_out_total', help: 'Readings acknowledged by the platform broker', registers: [this.registry] });
  readonly eventsIn = new Counter({
    name: 'gridgate_events_in_total',
    help: 'Events accepted into the outbox',
    labelNames: ['type'],
    registers: [this.registry],
  });
  readonly eventsOut = new Counter({ name: 'gridgate_events_out_total', help: 'Events acknowledged by the platform broker', registers: [this.registry] });
  readonly commands = new Counter({
    name: 'gridgate_commands_total',
    help: 'Platform commands handled, by command and result code',
    labelNames: ['command', 'code'],
    registers: [this.registry],
  });
  readonly devices = new Gauge({ name: 'gridgate_devices', help: 'Devices by status', labelNames: ['status'], registers: [this.registry] });
  readonly ingestRejected = new Counter({
    name: 'gridgate_ingest_rejected_total',
    help: 'Input from devices refused, by device and reason (malformed, duplicate-key, acl, auth, oversize, stale-time, implausible, out-of-order)',
    labelNames: ['device', 'reason'],
    registers: [this.registry],
  });
  readonly overload = new Gauge({
    name: 'gridgate_overload_keep_one_in',
    help: 'Overload policy: 1 = every poll kept, N = one poll in N kept for low-priority devices',
    registers: [this.registry],
  });
  readonly siteMode = new Gauge({ name: 'gridgate_site_mode', help: '1 for the current site mode', labelNames: ['mode'], registers: [this.registry] });

  /**
   * Exposes drivers' own metric families (Driver.metricFamilies / health().metrics), read at each
   * scrape. Registered once per family name; a second driver declaring the same name is skipped.
   */
  addDriverMetrics(families: readonly DriverMetricFamily[], read: () => DriverMetric[]): void {
    for (const f of families) {
      if (this.registry.getSingleMetric(f.name)) continue;
      const metric = {
        name: f.name,
        help: f.help,
        type: f.type,
        aggregator: 'sum' as const,
        get: async () => ({
          name: f.name,
          help: f.help,
          type: f.type,
          aggregator: 'sum' as const,
          values: read()
            .filter((m) => m.name === f.name)
            .map((m) => ({ value: m.value, labels: m.labels ?? {} })),
        }),
        reset: () => undefined,
      };
      this.registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
    }
  }

  constructor(options: { processMetrics?: boolean } = {}) {
    // The event-loop lag is sampled every 200 ms, not every 10 ms (prom-client's default): 100 timer wake-ups a second on an idle box.
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'gridgate_', eventLoopMonitoringPrecision: 200 });
  }
}
