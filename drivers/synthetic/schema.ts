import { z } from 'zod';
import { severitySchema } from '../../gateway/config/schema/common.js';
import { baseDeviceFields, profileSchemaFor } from '../../gateway/config/schema/device.js';
import { basePointFields, pointListSchema } from '../../gateway/config/schema/point.js';

/** A synthetic point: a waveform the driver computes, so the gateway runs without hardware. */
export const syntheticPointSchema = z.strictObject({
  ...basePointFields,
  wave: z.enum(['sine', 'ramp', 'square', 'random-walk', 'counter', 'constant']).default('sine'),
  min: z.number().finite().default(0),
  max: z.number().finite().default(100),
  periodMs: z.number().int().min(100).max(86_400_000).default(60_000),
  /** Counter: how much it rises per sample (randomised 0..2x). */
  step: z.number().finite().default(1),
  /** Report this point as bad with this error every Nth sample (0 = never): tests quality `bad`. */
  failEvery: z.number().int().min(0).default(0),
});
export type SyntheticPoint = z.infer<typeof syntheticPointSchema>;

/** A scripted event: raised every `everyMs`, alternating active and cleared unless it is a pulse. */
export const syntheticEventSchema = z.strictObject({
  type: z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/, 'must be dotted lower-case, e.g. crowd.density'),
  severity: severitySchema.default('minor'),
  everyMs: z.number().int().min(50).max(86_400_000),
  pulse: z.boolean().default(false),
  channel: z.number().int().min(0).optional(),
  message: z.string().max(1000).optional(),
});
export type SyntheticEvent = z.infer<typeof syntheticEventSchema>;

export const syntheticPointList = pointListSchema(syntheticPointSchema);

export const syntheticDeviceSchema = z.strictObject({
  ...baseDeviceFields,
  driver: z.literal('synthetic'),
  intervalMs: z
    .number()
    .int()
    .min(10)
    .max(3_600_000)
    .default(1000)
    .meta({ examples: [1000] }),
  points: syntheticPointList.default([]),
  events: z.array(syntheticEventSchema).default([]),
});
export type SyntheticDeviceConfig = z.infer<typeof syntheticDeviceSchema>;

export const syntheticProfileSchema = profileSchemaFor('synthetic', syntheticPointList);
