import { z } from 'zod';
import { modbusDeviceSchema, modbusProfileSchema } from './modbus/schema.js';
import { mqttDeviceSchema, mqttProfileSchema } from './mqtt/schema.js';
import { onvifDeviceSchema, onvifProfileSchema } from './onvif/schema.js';
import { syntheticDeviceSchema, syntheticProfileSchema } from './synthetic/schema.js';

/**
 * The configuration schema of every driver, by name. This is the one place a new protocol is
 * plugged into the configuration; drivers/registry.ts does the same for the runtime.
 */
export const DRIVER_SCHEMAS = {
  synthetic: { device: syntheticDeviceSchema, profile: syntheticProfileSchema },
  modbus: { device: modbusDeviceSchema, profile: modbusProfileSchema },
  mqtt: { device: mqttDeviceSchema, profile: mqttProfileSchema },
  onvif: { device: onvifDeviceSchema, profile: onvifProfileSchema },
} as const;

export type DriverName = keyof typeof DRIVER_SCHEMAS;

export const deviceSchema = z.discriminatedUnion('driver', [DRIVER_SCHEMAS.synthetic.device, DRIVER_SCHEMAS.modbus.device, DRIVER_SCHEMAS.mqtt.device, DRIVER_SCHEMAS.onvif.device]);
export type DeviceConfig = z.infer<typeof deviceSchema>;

export const profileSchema = z.discriminatedUnion('driver', [DRIVER_SCHEMAS.synthetic.profile, DRIVER_SCHEMAS.modbus.profile, DRIVER_SCHEMAS.mqtt.profile, DRIVER_SCHEMAS.onvif.profile]);
export type ProfileConfig = z.infer<typeof profileSchema>;
