import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { GatewayError } from '../../gateway/core/errors.js';
import { type ModbusProfile, modbusProfileSchema } from './schema.js';

/** config/profiles of this checkout, where the shipped Modbus profiles live. */
export const SHIPPED_PROFILE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../config/profiles');

/** The shipped Modbus profiles, by name (the file is `<name>.yaml`). */
export const SHIPPED_MODBUS_PROFILES = [
  'modbus-env-sensor',
  'modbus-power-meter',
  'modbus-people-counter',
  'modbus-water-level',
  'power-meter-3p',
  'rs485-people-counter',
] as const;

/**
 * Reads and validates one Modbus profile file (YAML or JSON). For tools, the simulator and tests;
 * the gateway loads profiles through its own config loader with the same schema.
 */
export async function readModbusProfile(name: string, dir = SHIPPED_PROFILE_DIR): Promise<ModbusProfile> {
  const path = join(dir, `${name}.yaml`);
  let data: unknown;
  try {
    data = parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new GatewayError('E_PROFILE_INVALID', `profile ${path} could not be read`, { cause });
  }
  const parsed = modbusProfileSchema.safeParse(data);
  if (!parsed.success) throw new GatewayError('E_PROFILE_INVALID', `profile ${path} is not valid:\n${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  return parsed.data;
}
