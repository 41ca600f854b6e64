import { z } from 'zod';
import { deviceIdSchema, modeSchema, pointNameSchema, severitySchema } from './common.js';

/**
 * Crowd zones: a zone is a set of counting lines from any driver (ONVIF CountAggregation, MQTT
 * counters, Modbus counters). The gateway keeps occupancy (in − out, never negative), inflow and
 * outflow rates, and raises `crowd.threshold` events by level with hysteresis.
 */
export const countingLineSchema = z.strictObject({
  device: deviceIdSchema,
  /** The point counting people entering the zone through this line. */
  in: pointNameSchema.optional().meta({ examples: ['people.in'] }),
  /** The point counting people leaving the zone through this line. */
  out: pointNameSchema.optional().meta({ examples: ['people.out'] }),
  /** `cumulative`: a running total (deltas are taken); `interval`: each reading is a count since the last. */
  counts: z.enum(['cumulative', 'interval']).default('cumulative'),
  /** The line's device counts the other way round (its "in" leaves the zone). */
  reversed: z.boolean().default(false),
  /**
   * The most people per second the line can count (a wide gate: about 20). A faster increase is
   * not counted into occupancy but reported (vendor.counter.implausible); see docs/mqtt.md.
   */
  maxRatePerSec: z
    .number()
    .positive()
    .max(100_000)
    .default(20)
    .meta({ examples: [20] }),
});

export const thresholdLevelSchema = z.strictObject({
  /** Level 1 is the most serious (the contract example: level-1 at 50 000). */
  level: z
    .number()
    .int()
    .min(1)
    .max(9)
    .meta({ examples: [1] }),
  at: z
    .number()
    .int()
    .min(1)
    .meta({ examples: [50_000] }),
  severity: severitySchema.optional(),
});

const thresholdListSchema = z
  .array(thresholdLevelSchema)
  .min(1)
  .superRefine((levels, ctx) => {
    const seen = new Set<number>();
    levels.forEach((l, i) => {
      if (seen.has(l.level)) ctx.addIssue({ code: 'custom', path: [i, 'level'], message: `level ${l.level} is defined twice` });
      seen.add(l.level);
    });
    const byLevel = [...levels].sort((a, b) => b.level - a.level);
    for (let i = 1; i < byLevel.length; i++) {
      if (byLevel[i]!.at <= byLevel[i - 1]!.at) {
        ctx.addIssue({
          code: 'custom',
          path: [],
          message: `level ${byLevel[i]!.level} (at ${byLevel[i]!.at}) must be above level ${byLevel[i - 1]!.level} (at ${byLevel[i - 1]!.at}): a lower level number is more serious`,
        });
      }
    }
  });

export const zoneSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes')
    .meta({ examples: ['cbd-square'] }),
  name: z.string().max(200).optional(),
  lines: z.array(countingLineSchema).min(1),
  /** Occupancy starts again from 0 every day at this local time (HH:MM, site time zone). */
  dailyResetAt: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24 h)')
    .default('04:00')
    .meta({ examples: ['04:00'] }),
  /** Levels by mode; `default` applies to modes not listed. */
  thresholds: z
    .strictObject({ default: thresholdListSchema.optional() })
    .catchall(thresholdListSchema)
    .default({})
    .superRefine((t, ctx) => {
      for (const key of Object.keys(t)) {
        if (key !== 'default' && !modeSchema.safeParse(key).success)
          ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" is not a mode (normal, holiday, major-event, emergency) or "default"` });
      }
    }),
  /** A level clears only when occupancy falls this far below its threshold. */
  hysteresis: z
    .number()
    .int()
    .min(0)
    .default(500)
    .meta({ examples: [500] }),
  /** Window over which inflow and outflow rates are computed. */
  rateWindowMs: z.number().int().min(10_000).max(3_600_000).default(60_000),
  /** How often the zone's readings are published at most (they are also sent on every level change). */
  reportEveryMs: z.number().int().min(200).max(600_000).default(5_000),
  /**
   * No longer used (accepted so older configurations stay valid): a drop counts as a device
   * reset when it is to near zero by the line's plausibility model (maxRatePerSec).
   */
  resetCountLimit: z.number().int().min(0).default(500),
});
export type ZoneConfig = z.infer<typeof zoneSchema>;
