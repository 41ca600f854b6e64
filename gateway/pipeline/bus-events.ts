import type { DeviceState, GatewayEvent, Reading } from '../core/model.js';
import type { DeviceConfigBase, DriverEvent, RawSample } from '../devices/driver.js';
import type { ModeChange } from '../modes/mode-manager.js';

/**
 * What flows on the gateway's internal bus, from drivers through the pipeline to the outbox and
 * to whoever else listens (the UI's live view, rules). Listeners are isolated (core/bus.ts).
 */
export interface GatewayBusEvents {
  /** Raw values from a driver (before scaling). */
  samples: RawSample[];
  /** Normalized readings, as accepted into the outbox. */
  readings: Reading[];
  /** An event raised by a driver or the device manager, before it gets id and mode. */
  'driver-event': DriverEvent;
  /** A contract event, as accepted into the outbox. */
  event: GatewayEvent;
  /** The picture of an event that has one (emitted just before its `event`); the UI keeps the last few. */
  'event-picture': { id: string; picture: Buffer };
  'device-state': DeviceState;
  /** A device left the configuration (its retained state is cleared at the platform). */
  'device-removed': { device: string };
  'device-configured': DeviceConfigBase;
  'mode-changed': ModeChange;
}
