import { join } from 'node:path';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema/gateway-config.js';
import type { TypedBus } from '../core/bus.js';
import { type Clock, monotonicMs } from '../core/clock.js';
import { createIdFactory } from '../core/ids.js';
import { DeviceManager } from '../devices/device-manager.js';
import type { Driver, IngestRejectReason } from '../devices/driver.js';
import { ModeManager } from '../modes/mode-manager.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { DiskReserve } from '../outbox/disk-reserve.js';
import { DropReporter } from '../outbox/drop-reporter.js';
import { SqliteOutbox } from '../outbox/sqlite-outbox.js';
import type { GatewayBusEvents } from '../pipeline/bus-events.js';
import { EventFactory, type EventInput } from '../pipeline/event-factory.js';
import { Normalizer } from '../pipeline/normalizer.js';
import { CommandDispatcher } from '../commands/command-dispatcher.js';
import { EventGate } from '../rules/event-gate.js';
import type { OpenedDatabase } from '../storage/sqlite-database.js';
import { SqliteCounterStore } from '../storage/sqlite-counter-store.js';
import { SqliteHeldEvents } from '../storage/sqlite-held-events.js';
import { SqliteStateStore } from '../storage/sqlite-state-store.js';
import { createSinks } from './data-flow.js';
import { eventHolds } from './held-events.js';
import { createOverloadGuard } from './overload.js';
import type { CoreParts, GatewayParts } from './parts.js';

/** Ballast beside the outbox, released when the disk fills up (1 MiB). */
const RESERVE_BYTES = 1024 * 1024;

/** What the core parts are built from: the composition root's own state (daemon.ts). */
export interface CoreEnvironment {
  /** The configuration in force (it can change while running). */
  current: () => Readonly<GatewayConfig>;
  clock: Clock;
  log: Logger;
  metrics: GatewayMetrics;
  bus: TypedBus<GatewayBusEvents>;
  drivers: Map<string, Driver>;
  /** Into the event gate: severity policy, storm suppression, snapshots (the root's `raise`). */
  raise: (input: EventInput) => string | undefined;
  rejected: (device: string, reason: IngestRejectReason) => void;
  /** The uplink in force (rebuilt when its configuration changes). */
  uplink: () => GatewayParts['uplink'];
}

/**
 * Builds the parts of the data path on the opened database: the stores, the outbox, modes,
 * events, the device manager, the event gate and the overload guard. Nothing is started.
 */
export function buildCoreParts(opened: OpenedDatabase, o: CoreEnvironment): CoreParts {
  const { log, drivers } = o;
  const config = o.current();
  const ids = createIdFactory();
  const store = new SqliteStateStore(opened.db);
  const counters = new SqliteCounterStore(opened.db);
  const held = new SqliteHeldEvents(opened.db);
  const holds = eventHolds(held, () => o.clock.now());
  const reserve = new DiskReserve(join(config.dataDir, 'gridgate.reserve'), RESERVE_BYTES);
  reserve.ensure();
  const outbox = new SqliteOutbox({
    db: opened.db,
    reserve,
    freeSpace: { dir: config.dataDir, minBytes: config.outbox.minFreeBytes },
    gateway: config.gateway,
    site: config.site,
    capacityBytes: config.outbox.capacityBytes,
    log: log.child({ component: 'outbox' }),
    clock: o.clock,
  });
  const modes = new ModeManager(store, config.modes.initial, log.child({ component: 'modes' }), o.clock.now());
  const events = new EventFactory(ids, o.clock, () => modes.mode);
  const normalizer = new Normalizer(ids, o.clock, log.child({ component: 'pipeline' }));
  const dispatcher = new CommandDispatcher(store, o.clock, log.child({ component: 'commands' }), o.metrics);
  const devices = new DeviceManager({
    drivers,
    bus: o.bus,
    clock: o.clock,
    log: log.child({ component: 'devices' }),
    mode: () => modes.mode,
    onModeChange: (l) => modes.onChange((c) => l(c.mode)),
    rejected: (device, reason) => o.rejected(device, reason),
    counters,
    committed: () => outbox.committed(),
    pollStretch: (device) => overload.stretchFor(device),
    hold: holds.driver,
  });
  const dropReporter = new DropReporter(
    (e) => o.raise(e),
    () => monotonicMs(o.clock),
    log.child({ component: 'outbox' }),
  ); // its window is a duration
  const { accept, acceptReadings } = createSinks({ outbox, bus: o.bus, metrics: o.metrics });
  const gate = new EventGate({
    config: o.current,
    events,
    clock: o.clock,
    log: log.child({ component: 'events' }),
    mode: () => modes.mode,
    camerasFor: (source) => devices.camerasFor(source),
    snapshot: (device, channel) => devices.snapshot(device, channel),
    accept,
    holds: holds.gate,
  });
  const overload = createOverloadGuard({
    outbox,
    devices,
    dropReporter,
    uplink: o.uplink,
    metrics: o.metrics,
    clock: o.clock,
    log: log.child({ component: 'overload' }),
    raise: (e) => o.raise(e),
  });
  const core: CoreParts = {
    database: opened.db,
    outbox,
    store,
    counters,
    held,
    modes,
    events,
    normalizer,
    dispatcher,
    devices,
    drivers,
    dropReporter,
    gate,
    ids,
    accept,
    acceptReadings,
    overload,
  };
  return core;
}
