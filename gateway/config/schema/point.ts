import { z } from 'zod';
import { canConvert } from '../../core/units.js';
import { pointNameSchema, unitSchema } from './common.js';

/**
 * What every point has, whatever its protocol. Drivers report raw values; the pipeline applies
 * `value = raw * scale + offset`, then converts `sourceUnit` to `unit`, then the deadband.
 * Drivers extend this with their addressing (a Modbus register, an MQTT JSON path...).
 */
export const basePointFields = {
  name: pointNameSchema,
  unit: unitSchema.optional(),
  sourceUnit: unitSchema.optional().meta({ description: 'unit the device reports in, when it differs from `unit`' }),
  scale: z.number().finite().default(1),
  offset: z.number().finite().default(0),
  decimals: z.number().int().min(0).max(9).optional().meta({
    description:
      'round to this many decimals after scaling; when absent, an integer raw value is rounded to the resolution scale and offset imply (scale 0.1 → 1 decimal)',
  }),
  deadband: z.number().min(0).optional().meta({ description: 'report a value only when it moved at least this much (in `unit`) since the last report' }),
  /** Heartbeat: a value inside the deadband is still reported this often. */
  maxSilenceMs: z.number().int().min(1000).max(86_400_000).default(300_000),
  writable: z
    .strictObject({ min: z.number().optional(), max: z.number().optional() })
    .optional()
    .meta({ description: 'the point accepts write-point commands, within these limits' }),
};

export const basePointSchema = z.strictObject(basePointFields);
export type BasePoint = z.infer<typeof basePointSchema>;

/**
 * A device's point list: names unique, and each sourceUnit convertible to its unit.
 * Drivers call this with their own point schema.
 */
export function pointListSchema<P extends z.ZodType<BasePointLike>>(point: P) {
  return z.array(point).superRefine((points, ctx) => {
    const seen = new Set<string>();
    points.forEach((p, i) => {
      if (seen.has(p.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `point "${p.name}" is defined twice` });
      seen.add(p.name);
      if (p.sourceUnit && p.unit && !canConvert(p.sourceUnit, p.unit)) {
        ctx.addIssue({ code: 'custom', path: [i, 'sourceUnit'], message: `cannot convert ${p.sourceUnit} to ${p.unit}` });
      }
    });
  });
}

interface BasePointLike {
  name: string;
  unit?: string | undefined;
  sourceUnit?: string | undefined;
}
