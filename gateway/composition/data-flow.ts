import type { TypedBus } from '../core/bus.js';
import type { GatewayEvent, Reading } from '../core/model.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { SqliteOutbox } from '../outbox/sqlite-outbox.js';
import type { GatewayBusEvents } from '../pipeline/bus-events.js';
import type { EventInput } from '../pipeline/event-factory.js';
import type { GatewayParts, Sinks } from './parts.js';

/**
 * The data path of the gateway, in one place (docs/architecture.md, "One reading, one event"):
 *
 *   driver samples ─► bus 'samples' ─► overload guard ─► normalizer ─► acceptReadings ─► outbox ─► uplink
 *                                                                          └─► bus 'readings' ─► site rules
 *   driver events  ─► bus 'driver-event' ─► raise ─► event gate ─► accept ─► outbox ─► uplink
 *
 * The outbox is the truth: data is appended there first, then shown to listeners (rules, the UI).
 */

/** The ends of the data path: the outbox first, then the bus. */
export function createSinks(o: { outbox: SqliteOutbox; bus: TypedBus<GatewayBusEvents>; metrics: GatewayMetrics }): Sinks {
  return {
    accept: (event: GatewayEvent, snapshot?: Buffer, heldId?: number) => {
      o.outbox.appendEvent(event, snapshot, heldId);
      if (snapshot) o.bus.emit('event-picture', { id: event.id, picture: snapshot });
      o.bus.emit('event', event);
    },
    acceptReadings: (readings: Reading[]) => {
      o.outbox.appendReadings(readings);
      o.metrics.readingsIn.inc(readings.length);
      o.bus.emit('readings', readings);
    },
  };
}

export interface DataFlowOptions {
  bus: TypedBus<GatewayBusEvents>;
  metrics: GatewayMetrics;
  /** An event into the event gate (severity policy, storm suppression, snapshots), then `accept`. */
  raise(input: EventInput, snapshot?: Buffer, heldId?: number): string | undefined;
}

/**
 * Connects the parts along the data path. `parts` is read at each call: the uplink and the rules
 * are replaced when their configuration changes (reconfigure.ts).
 */
export function wireDataFlow(parts: GatewayParts, o: DataFlowOptions): void {
  const { bus, metrics, raise } = o;
  const { normalizer, overload, devices, outbox, dropReporter, modes } = parts;

  // Readings: driver samples → overload guard → normalizer (scale, unit, deadband) → outbox → rules.
  bus.on('device-configured', (d) => normalizer.setDevicePoints(d.id, d.points));
  bus.on('samples', (batch) => {
    if (!overload.admit(batch)) return;
    const readings = normalizer.normalize(batch);
    if (readings.length > 0) parts.acceptReadings(readings);
  });
  bus.on('readings', (readings) => parts.rules.onReadings(readings));

  // Events: a driver's event gets its source (the device's zone) → event gate → outbox.
  bus.on('driver-event', (e) => {
    const zone = e.zone ?? devices.config(e.device)?.zone;
    const { heldId, ...input } = e;
    raise({ ...input, source: { device: e.device, channel: e.channel, point: e.point, zone, topic: e.topic }, snapshot: undefined }, e.snapshot, heldId);
  });
  bus.on('event', (e) => metrics.eventsIn.inc({ type: e.type }));

  // Device states go to the platform as retained messages.
  bus.on('device-state', (s) => parts.uplink.deviceState(s));
  bus.on('device-removed', (d) => parts.uplink.deviceRemoved(d.device));

  // What the outbox had to drop is counted and reported as a gateway.data_dropped event.
  outbox.onDrop((d) => {
    metrics.dropped.inc({ lane: d.lane, reason: d.reason }, d.count);
    dropReporter.add(d);
  });

  // A mode change is an event, a bus message, a rules input and a new retained gateway state.
  modes.onChange((change) => {
    raise({
      type: 'mode.changed',
      state: 'pulse',
      severity: change.mode === 'emergency' ? 'critical' : 'info',
      source: {},
      message: `site mode ${change.previous} → ${change.mode} by ${change.by}: ${change.reason}`,
      data: { ...change },
    });
    bus.emit('mode-changed', change);
    parts.rules.onModeChange();
    parts.uplink.publishState();
  });
}
