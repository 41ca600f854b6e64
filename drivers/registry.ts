import type { Driver } from '../gateway/devices/driver.js';
import { ModbusDriver } from './modbus/modbus-driver.js';
import { MqttDriver } from './mqtt/mqtt-driver.js';
import { SyntheticDriver } from './synthetic/synthetic-driver.js';

/**
 * The drivers of this build, by the name devices use in their `driver` field. This is the one
 * place a new protocol is plugged into the runtime; drivers/schemas.ts does it for the config.
 */
export function createDrivers(): Map<string, Driver> {
  const drivers: Driver[] = [new SyntheticDriver() as Driver, new ModbusDriver() as Driver, new MqttDriver() as Driver];
  return new Map(drivers.map((d) => [d.name, d]));
}
