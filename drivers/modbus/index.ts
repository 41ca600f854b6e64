import { defineDriverModule } from '../../gateway/devices/driver-module.js';
import { ModbusDriver } from './modbus-driver.js';
import { modbusDeviceSchema, modbusProfileSchema } from './schema.js';

/** Modbus TCP and RTU devices (docs/modbus.md). */
export const modbusModule = defineDriverModule({
  name: 'modbus',
  deviceSchema: modbusDeviceSchema,
  profileSchema: modbusProfileSchema,
  create: () => new ModbusDriver(),
});
