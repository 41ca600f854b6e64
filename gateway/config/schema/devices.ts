import { z } from 'zod';
import { DRIVER_MODULES } from '../../../drivers/index.js';

type Modules = typeof DRIVER_MODULES;
/** What the configuration reads of a driver module (gateway/devices/driver-module.ts; config sits below devices, so structurally). */
type DriverModule = { readonly deviceSchema: z.ZodType; readonly profileSchema: z.ZodType };
type DeviceSchemas<T extends readonly DriverModule[]> = { -readonly [K in keyof T]: T[K] extends DriverModule ? T[K]['deviceSchema'] : never };
type ProfileSchemas<T extends readonly DriverModule[]> = { -readonly [K in keyof T]: T[K] extends DriverModule ? T[K]['profileSchema'] : never };

// Array.map forgets a tuple's element types; these two casts restore them (the list is the truth, in its order).
function deviceSchemas<const T extends readonly DriverModule[]>(modules: T): DeviceSchemas<T> {
  return modules.map((m) => m.deviceSchema) as unknown as DeviceSchemas<T>;
}
function profileSchemas<const T extends readonly DriverModule[]>(modules: T): ProfileSchemas<T> {
  return modules.map((m) => m.profileSchema) as unknown as ProfileSchemas<T>;
}

/** The names devices use in their `driver` field. */
export type DriverName = Modules[number]['name'];
export const DRIVER_NAMES: ReadonlySet<string> = new Set(DRIVER_MODULES.map((m) => m.name));

/** Any device of any driver of this build, told apart by `driver`. */
export const deviceSchema = z.discriminatedUnion('driver', deviceSchemas(DRIVER_MODULES));
export type DeviceConfig = z.infer<typeof deviceSchema>;

/** Any profile file of any driver of this build. */
export const profileSchema = z.discriminatedUnion('driver', profileSchemas(DRIVER_MODULES));
export type ProfileConfig = z.infer<typeof profileSchema>;
