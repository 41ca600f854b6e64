import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { GatewayError } from '../../gateway/core/errors.js';
import { type MqttProfile, mqttProfileSchema } from './schema.js';

/** config/profiles of this checkout, where the shipped MQTT profiles live. */
export const SHIPPED_PROFILE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../config/profiles');

/** The shipped MQTT profiles, by name (the file is `<name>.yaml`). */
export const SHIPPED_MQTT_PROFILES = [
  'mqtt-env-json',
  'mqtt-env-array',
  'mqtt-xovis-live',
  'mqtt-xovis-logic',
  'mqtt-axis-people-counter',
  'mqtt-axis-occupancy',
  'mqtt-irisys-counter',
] as const;
export type ShippedMqttProfile = (typeof SHIPPED_MQTT_PROFILES)[number];

/**
 * Reads and validates one MQTT profile file. For tools, the simulator, the benchmark and tests;
 * the gateway loads profiles through its own config loader with the same schema.
 */
export async function readMqttProfile(name: string, dir = SHIPPED_PROFILE_DIR): Promise<MqttProfile> {
  const path = join(dir, `${name}.yaml`);
  let data: unknown;
  try {
    data = parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new GatewayError('E_PROFILE_INVALID', `profile ${path} could not be read`, { cause });
  }
  const parsed = mqttProfileSchema.safeParse(data);
  if (!parsed.success) throw new GatewayError('E_PROFILE_INVALID', `profile ${path} is not valid:\n${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  return parsed.data;
}
