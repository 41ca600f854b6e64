import { BUILTIN_PROFILE_DIR } from '../../gateway/config/paths.js';
import { readProfileFile } from '../../gateway/config/profile-file.js';
import { type ModbusProfile, modbusProfileSchema } from './schema.js';

/** config/profiles of this checkout, where the shipped Modbus profiles live. */
export const SHIPPED_PROFILE_DIR = BUILTIN_PROFILE_DIR;

/** The shipped Modbus profiles, by name (the file is `<name>.yaml`). */
export const SHIPPED_MODBUS_PROFILES = [
  'modbus-env-sensor',
  'modbus-power-meter',
  'modbus-people-counter',
  'modbus-water-level',
  'power-meter-3p',
  'rs485-people-counter',
] as const;

/** Reads and validates one shipped (or `dir`) Modbus profile file: for tools, the simulator and tests. */
export function readModbusProfile(name: string, dir = SHIPPED_PROFILE_DIR): Promise<ModbusProfile> {
  return readProfileFile(name, modbusProfileSchema, dir);
}
