import { z } from 'zod';
import { deviceIdSchema, deviceKindSchema, nameSchema, pointNameSchema } from './common.js';

/**
 * Fields every device has, whatever its driver. A driver's device schema spreads these and adds
 * its own (`driver` literal, connection, points). See schema/devices.ts for the union (derived from drivers/index.ts).
 */
export const baseDeviceFields = {
  id: deviceIdSchema,
  name: z.string().max(200).optional(),
  kind: deviceKindSchema,
  enabled: z.boolean().default(true),
  /** A profile under config/profiles (or a configured profile folder) whose points this device uses. */
  profile: nameSchema.optional().meta({ examples: ['env-sensor'] }),
  /** The crowd zone or area the device watches, carried into its events' `source.zone`. */
  zone: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .meta({ examples: ['cbd-square'] }),
  location: z.string().max(200).optional(),
};

/** A profile file: a named, reusable point list for one driver. */
export function profileSchemaFor<D extends string, P extends z.ZodType>(driver: D, points: P) {
  return z.strictObject({
    name: nameSchema,
    driver: z.literal(driver),
    kind: deviceKindSchema.optional(),
    description: z.string().max(500).optional(),
    points,
  });
}

export { pointNameSchema };
