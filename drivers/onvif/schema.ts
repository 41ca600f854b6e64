import { z } from 'zod';
import { secretRefSchema } from '../../gateway/config/schema/common.js';
import { baseDeviceFields, profileSchemaFor } from '../../gateway/config/schema/device.js';
import { basePointFields, pointListSchema } from '../../gateway/config/schema/point.js';
import { EVENT_TYPE_PATTERN } from '../../gateway/core/model.js';

const eventType = z.string().regex(EVENT_TYPE_PATTERN, 'must be dotted lower-case, e.g. fire.smoke');

/**
 * A reading an ONVIF device reports from its analytics (registry `readings`: `people.in`,
 * `people.out`, `people.count`, `people.occupancy`, `crowd.density`; on an NVR `ch<N>/...`).
 * Only the pipeline fields: the address is the registry rule, not the point.
 */
export const onvifPointSchema = z.strictObject({ ...basePointFields });
export const onvifPointList = pointListSchema(onvifPointSchema);

/** An ONVIF camera, or an NVR whose channels are this one device's channels. */
export const onvifDeviceSchema = z.strictObject({
  ...baseDeviceFields,
  driver: z.literal('onvif'),
  /** The device service URL (ONVIF Core §5.1.1: http://host[:port]/onvif/device_service). */
  // http only for now: HTTPS (ONVIF Core §5.1.2 TLS) is not implemented in transport/http-request.ts.
  url: z.url({ protocol: /^http$/ }).meta({ examples: ['http://10.20.0.31/onvif/device_service'] }),
  username: z
    .string()
    .min(1)
    .max(64)
    .meta({ examples: ['gridgate'] }),
  password: secretRefSchema,
  auth: z
    .enum(['auto', 'ws-security', 'http-digest', 'both'])
    .default('auto')
    .meta({ description: 'how SOAP calls authenticate; auto = WS-UsernameToken, and HTTP Digest when challenged' }),
  /** Use Media2 (ver20) when the device offers it. */
  media2: z.boolean().default(true),
  requestTimeoutMs: z.number().int().min(500).max(60_000).default(5_000).meta({ description: 'per SOAP request, ms' }),
  maxResponseBytes: z
    .number()
    .int()
    .min(16_384)
    .max(16 * 1024 * 1024)
    .default(1024 * 1024),
  events: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** A ConcreteSet topic expression (ONVIF Core §9.6.3) and the prefixes it uses. */
      topicFilter: z.strictObject({ expression: z.string().min(1).max(2000), namespaces: z.record(z.string(), z.string()) }).optional(),
      pullTimeoutMs: z.number().int().min(1000).max(60_000).default(10_000),
      messageLimit: z.number().int().min(1).max(1000).default(100),
      terminationMs: z.number().int().min(10_000).max(3_600_000).default(120_000),
      silenceMs: z
        .number()
        .int()
        .min(0)
        .max(86_400_000)
        .default(900_000)
        .meta({ description: 'resubscribe after this long without any notification (0 = never)' }),
      resubscribeFloorMs: z.number().int().min(5_000).max(600_000).default(5_000),
      resubscribeCapMs: z.number().int().min(5_000).max(3_600_000).default(300_000),
    })
    .prefault({}),
  snapshots: z
    .strictObject({
      /** Event types that get a picture; default: the registry's `snapshot: true` rules. */
      types: z.array(eventType).optional(),
      maxBytes: z
        .number()
        .int()
        .min(1024)
        .max(8 * 1024 * 1024)
        .default(1024 * 1024),
      timeoutMs: z.number().int().min(500).max(30_000).default(3_000),
      minIntervalMs: z.number().int().min(100).max(3_600_000).default(2_000),
      burst: z.number().int().min(1).max(20).default(3).meta({ description: 'event pictures per channel at once, then one per minIntervalMs' }),
      /** Device-wide cap (an NVR serves a few pictures a second): default one per channel plus the critical/major reserve, ≤ 64. */
      deviceBurst: z.number().int().min(1).max(256).optional(),
      deviceMinIntervalMs: z.number().int().min(20).max(3_600_000).default(250).meta({ description: 'device-wide: one more picture per this many ms' }),
    })
    .prefault({}),
  /** How often the camera clock offset is re-read (ms). */
  clockRefreshMs: z.number().int().min(60_000).max(86_400_000).default(900_000),
  /** Units and deadbands for the readings the camera's counters produce. */
  points: onvifPointList.default([]),
});
export type OnvifDeviceConfig = z.infer<typeof onvifDeviceSchema>;

export const onvifProfileSchema = profileSchemaFor('onvif', onvifPointList);
