import { z } from 'zod';
import { deviceIdSchema, modeSchema, pointNameSchema, severitySchema } from './common.js';

/** A threshold on a sensor point, with hysteresis and a minimum duration (`sensor.threshold`). */
export const sensorThresholdSchema = z
  .strictObject({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes')
      .meta({ examples: ['pm25-high'] }),
    /** A device id, or `*` for every device that has the point. */
    device: z.union([deviceIdSchema, z.literal('*')]),
    point: pointNameSchema,
    above: z.number().optional(),
    below: z.number().optional(),
    /** How far back the value must come before the condition clears (in the point's unit). */
    hysteresis: z.number().min(0).default(0),
    /** The condition must hold this long before the event is raised. */
    forMs: z.number().int().min(0).max(86_400_000).default(0),
    severity: severitySchema.default('minor'),
    message: z.string().max(500).optional(),
  })
  .refine((t) => (t.above === undefined) !== (t.below === undefined), { message: 'give exactly one of above or below' });
export type SensorThreshold = z.infer<typeof sensorThresholdSchema>;

/** Switches the site mode when a zone reaches a crowd level. */
export const modeRuleSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes')
    .meta({ examples: ['crowd-level-1-emergency'] }),
  /** A zone id, or `*` for any zone. */
  zone: z.string().min(1).default('*'),
  /** The rule fires when a zone reaches this level or a more serious one (a lower number). */
  level: z.number().int().min(1).max(9),
  switchTo: modeSchema,
});

export const rulesSchema = z
  .strictObject({
    sensorThresholds: z.array(sensorThresholdSchema).default([]),
    modeRules: z.array(modeRuleSchema).default([]),
    /**
     * Stepping down from a mode a rule set: only by a person (`manual`), or automatically back to
     * the mode before after no crowd level has been active for `afterCalmMs`.
     */
    stepDown: z
      .strictObject({ policy: z.enum(['manual', 'after-calm']).default('manual'), afterCalmMs: z.number().int().min(60_000).default(1_800_000) })
      .prefault({}),
    /** Storm suppression: at most one event per key (and state) per window; the rest are counted into the next. */
    suppression: z.strictObject({ windowMs: z.number().int().min(0).max(3_600_000).default(10_000) }).prefault({}),
  })
  .prefault({});

/** Calendar: holiday dates and scheduled events switch the mode at their boundaries. */
export const calendarSchema = z
  .strictObject({
    /** IANA time zone of the site, for dates, daily resets and schedules. */
    timeZone: z
      .string()
      .refine(isTimeZone, { message: 'is not an IANA time zone' })
      .default('Asia/Shanghai')
      .meta({ examples: ['Asia/Shanghai'] }),
    holidays: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')).default([]),
    events: z
      .array(
        z.strictObject({
          name: z.string().min(1).max(100),
          /** Local date-time in the site's time zone, `YYYY-MM-DDTHH:MM`. */
          start: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/, 'must be YYYY-MM-DDTHH:MM (local time)'),
          end: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/, 'must be YYYY-MM-DDTHH:MM (local time)'),
          mode: modeSchema.default('major-event'),
        }),
      )
      .default([]),
  })
  .prefault({});

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
