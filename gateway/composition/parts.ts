import type Database from 'better-sqlite3';
import type { CommandDispatcher } from '../commands/command-dispatcher.js';
import type { IdFactory } from '../core/ids.js';
import type { GatewayEvent, Reading } from '../core/model.js';
import type { DeviceManager } from '../devices/device-manager.js';
import type { Driver } from '../devices/driver.js';
import type { ModeManager } from '../modes/mode-manager.js';
import type { DropReporter } from '../outbox/drop-reporter.js';
import type { SqliteOutbox } from '../outbox/sqlite-outbox.js';
import type { EventFactory } from '../pipeline/event-factory.js';
import type { Normalizer } from '../pipeline/normalizer.js';
import type { OverloadGuard } from '../pipeline/overload-guard.js';
import type { EventGate } from '../rules/event-gate.js';
import type { SiteRules } from '../rules/site-rules.js';
import type { SqliteHeldEvents } from '../storage/sqlite-held-events.js';
import type { SqliteCounterStore } from '../storage/sqlite-counter-store.js';
import type { SqliteStateStore } from '../storage/sqlite-state-store.js';
import type { SparkplugUplink } from '../uplink/sparkplug/sparkplug-uplink.js';
import type { Uplink } from '../uplink/uplink.js';

/** Where accepted data goes: the outbox, then whoever listens on the bus (data-flow.ts builds them). */
export interface Sinks {
  /** An event the gate let through (with its picture): into the outbox, then the bus. */
  accept(event: GatewayEvent, snapshot?: Buffer, heldId?: number): void;
  /** Normalized readings: into the outbox, counted, then the bus (rules, the UI). */
  acceptReadings(readings: Reading[]): void;
}

/** The parts that do not change with the configuration (built once per start). */
export interface CoreParts extends Sinks {
  /** The SQLite file the outbox, the state store and the counter store share (the outbox closes it when it closes). */
  database: Database.Database;
  outbox: SqliteOutbox;
  store: SqliteStateStore;
  counters: SqliteCounterStore;
  /** Events waiting for their picture, journaled (storage/sqlite-held-events.ts). */
  held: SqliteHeldEvents;
  modes: ModeManager;
  events: EventFactory;
  normalizer: Normalizer;
  dispatcher: CommandDispatcher;
  devices: DeviceManager;
  drivers: Map<string, Driver>;
  dropReporter: DropReporter;
  gate: EventGate;
  ids: IdFactory;
  overload: OverloadGuard;
}

/** Every part of a running gateway; the uplink and the site rules are rebuilt when their configuration changes (reconfigure.ts). */
export interface GatewayParts extends CoreParts {
  uplink: Uplink | SparkplugUplink;
  rules: SiteRules;
}
