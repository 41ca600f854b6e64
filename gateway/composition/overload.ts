import type { Logger } from 'pino';
import { type Clock, monotonicMs } from '../core/clock.js';
import type { DeviceManager } from '../devices/device-manager.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { DropReporter } from '../outbox/drop-reporter.js';
import type { SqliteOutbox } from '../outbox/sqlite-outbox.js';
import type { EventInput } from '../pipeline/event-factory.js';
import { OverloadGuard } from '../pipeline/overload-guard.js';
import type { SparkplugUplink } from '../uplink/sparkplug/sparkplug-uplink.js';
import type { Uplink } from '../uplink/uplink.js';

export interface OverloadWiring {
  outbox: SqliteOutbox;
  devices: DeviceManager;
  dropReporter: DropReporter;
  /** The uplink in force (replaced when the platform configuration changes). */
  uplink(): Uplink | SparkplugUplink;
  metrics: GatewayMetrics;
  clock: Clock;
  log: Logger;
  raise(input: EventInput): string | undefined;
}

/**
 * Least time between two `state` messages asked for by the overload guard (ms, monotonic). The
 * platform sees the backlog (`outbox.telemetry`, `outbox.oldest`) as an overload begins and ends;
 * a change within this time of the last one is published once when it has passed (latest figures).
 */
const STATE_MIN_INTERVAL_MS = 5000;

/**
 * The overload guard on the data path (data-flow.ts calls `admit`), fed by the outbox's and the
 * uplink's signals: what it thins is counted as dropped (reason `overload`) and reported, and its
 * state is an event and part of the retained gateway state.
 */
export function createOverloadGuard(w: OverloadWiring): OverloadGuard {
  const { outbox, devices, dropReporter, metrics, clock } = w;
  let lastState = Number.NEGATIVE_INFINITY;
  let trailing: NodeJS.Timeout | undefined;
  const publishNow = () => {
    trailing = undefined;
    lastState = monotonicMs(clock);
    w.uplink().publishState();
  };
  const publishState = () => {
    const wait = lastState + STATE_MIN_INTERVAL_MS - monotonicMs(clock);
    if (wait <= 0) publishNow();
    else if (trailing === undefined) trailing = setTimeout(publishNow, wait).unref();
  };
  return new OverloadGuard({
    signals: {
      connected: () => w.uplink().status.connected,
      backlogAgeMs: () => {
        const oldest = outbox.stats().telemetry.oldestMs;
        return oldest === undefined ? 0 : Math.max(0, clock.now() - oldest);
      },
      capacityUsed: () => {
        const st = outbox.stats();
        return (st.events.bytes + st.telemetry.bytes) / st.capacityBytes;
      },
      commitBusyMs: () => outbox.commitBusyMs(),
      // Stored and not acknowledged (counted by the ledger); at most a commit window is not in it yet.
      backlogReadings: () => outbox.stats().telemetry.count,
      deliveredReadings: () => w.uplink().delivered,
      kindOf: (device) => devices.config(device)?.kind,
    },
    log: w.log,
    onShed: (count, fromMs, toMs) => {
      metrics.dropped.inc({ lane: 'telemetry', reason: 'overload' }, count);
      dropReporter.add({ lane: 'telemetry', reason: 'overload', count, bytes: 0, fromMs, toMs });
    },
    onChange: (status) => {
      metrics.overload.set(status.keepOneIn);
      w.raise({
        type: 'vendor.gateway_overload',
        state: status.overloaded ? 'active' : 'cleared',
        severity: status.overloaded ? 'major' : 'info',
        key: 'gateway:overload',
        source: {},
        message: status.overloaded
          ? `gateway overloaded: ${status.reason}; polls of low-priority devices thinned`
          : `gateway no longer overloaded; ${status.shed} readings were thinned at the edge`,
        data: { ...status },
      });
      publishState();
    },
  });
}
