import { join } from 'node:path';
import type { SecretRef } from '../gateway/config/schema/common.js';
import type { Driver } from '../gateway/devices/driver.js';
import { ModbusDriver } from './modbus/modbus-driver.js';
import { MqttDriver } from './mqtt/mqtt-driver.js';
import { OnvifDriver } from './onvif/onvif-driver.js';
import { SyntheticDriver } from './synthetic/synthetic-driver.js';

export interface DriverOptions {
  /** Resolves `{ env }` / `{ file }` password references (relative files against the configuration's folder). */
  readSecret?: (ref: SecretRef) => string;
  /** The gateway's data directory, for driver state that must survive a restart. */
  stateDir?: string;
}

/**
 * The drivers of this build, by the name devices use in their `driver` field. This is the one
 * place a new protocol is plugged into the runtime; drivers/schemas.ts does it for the config.
 */
export function createDrivers(options: DriverOptions = {}): Map<string, Driver> {
  const secrets = options.readSecret ? { readSecret: options.readSecret } : {};
  const drivers: Driver[] = [new SyntheticDriver() as Driver, new ModbusDriver() as Driver, new MqttDriver(secrets) as Driver, new OnvifDriver({ ...secrets, ...(options.stateDir ? { subscriptionFile: join(options.stateDir, 'onvif-subscriptions.json') } : {}) }) as Driver];
  return new Map(drivers.map((d) => [d.name, d]));
}
