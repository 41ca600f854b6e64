import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema/gateway-config.js';
import type { Clock } from '../core/clock.js';
import type { IdFactory } from '../core/ids.js';
import type { Reading } from '../core/model.js';
import { CalendarScheduler } from '../modes/calendar.js';
import type { ModeManager } from '../modes/mode-manager.js';
import type { SqliteStateStore } from '../storage/sqlite-state-store.js';
import type { EventInput } from '../pipeline/event-factory.js';
import { ModeRules } from './mode-rules.js';
import { SensorThresholds } from './sensor-thresholds.js';
import { ZoneEngine } from './zone-engine.js';

export interface SiteRulesOptions {
  config: Readonly<GatewayConfig>;
  modes: ModeManager;
  store: SqliteStateStore;
  ids: IdFactory;
  clock: Clock;
  log: Logger;
  raise: (event: EventInput) => void;
  acceptReadings: (readings: Reading[]) => void;
  /** A counting line's reading was not counted (metrics). */
  rejected?: (device: string, reason: 'implausible') => void;
}

/**
 * The site's edge logic, all from configuration: crowd zones and their levels, sensor
 * thresholds, crowd-level → mode rules, and the calendar.
 */
export class SiteRules {
  readonly zones: ZoneEngine;
  private readonly sensors: SensorThresholds;
  private readonly modeRules: ModeRules;
  private readonly calendar: CalendarScheduler;

  constructor(o: SiteRulesOptions) {
    const { config } = o;
    this.modeRules = new ModeRules(config.rules, o.modes, o.store, o.clock, o.log.child({ part: 'mode-rules' }));
    this.zones = new ZoneEngine({
      zones: config.zones,
      timeZone: config.calendar.timeZone,
      store: o.store,
      ids: o.ids,
      clock: o.clock,
      log: o.log.child({ part: 'zones' }),
      mode: () => o.modes.mode,
      readings: o.acceptReadings,
      raise: o.raise,
      levelChanged: (zone, level) => this.modeRules.levelChanged(zone, level),
      rejected: o.rejected,
    });
    this.sensors = new SensorThresholds(config.rules.sensorThresholds, o.clock, o.raise);
    this.calendar = new CalendarScheduler(config.calendar, o.modes, o.store, o.clock, o.log.child({ part: 'calendar' }), config.modes.initial);
  }

  start(): void {
    this.zones.start();
    this.modeRules.start();
    this.calendar.start();
  }

  stop(): void {
    this.calendar.stop();
    this.modeRules.stop();
    this.zones.stop();
  }

  onReadings(readings: readonly Reading[]): void {
    this.zones.onReadings(readings);
    this.sensors.onReadings(readings);
  }

  onModeChange(): void {
    this.zones.onModeChange();
  }
}
