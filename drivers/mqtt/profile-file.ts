import { BUILTIN_PROFILE_DIR } from '../../gateway/config/paths.js';
import { readProfileFile } from '../../gateway/config/profile-file.js';
import { type MqttProfile, mqttProfileSchema } from './schema.js';

/** config/profiles of this checkout, where the shipped MQTT profiles live. */
export const SHIPPED_PROFILE_DIR = BUILTIN_PROFILE_DIR;

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

/** Reads and validates one shipped (or `dir`) MQTT profile file: for tools, the simulator and tests. */
export function readMqttProfile(name: string, dir = SHIPPED_PROFILE_DIR): Promise<MqttProfile> {
  return readProfileFile(name, mqttProfileSchema, dir);
}
