import { z } from 'zod';
import { millisSchema, pointNameSchema, secretRefSchema } from '../../gateway/config/schema/common.js';
import { baseDeviceFields, profileSchemaFor } from '../../gateway/config/schema/device.js';
import { basePointFields, pointListSchema } from '../../gateway/config/schema/point.js';
import { compileJsonPath } from './json-path.js';
import { checkTopicId, checkTopicPattern } from './topic-filter.js';

const topicPatternSchema = z
  .string()
  .superRefine((v, ctx) => {
    const problem = checkTopicPattern(v);
    if (problem) ctx.addIssue({ code: 'custom', message: `topic pattern ${problem}` });
  })
  .meta({ examples: ['sensors/{device}/data'], description: 'MQTT topic filter; a {device} level is the device topicId' });

const jsonPathSchema = z
  .string()
  .superRefine((v, ctx) => {
    const compiled = compileJsonPath(v);
    if (typeof compiled === 'string') ctx.addIssue({ code: 'custom', message: `JSON path ${compiled}` });
  })
  .meta({ examples: ['$.pm25', 'data[0].value', '$.counts[?name=fw].value'] });

export const TIME_FORMATS = ['auto', 'iso', 'epoch-s', 'epoch-ms'] as const;
export const VALUE_TYPES = ['number', 'boolean', 'string'] as const;
export const COUNTER_KINDS = ['cumulative', 'interval'] as const;

/** An MQTT point: which messages carry it (topic), where its value is (path), and what it is. */
export const mqttPointSchema = z
  .strictObject({
    ...basePointFields,
    topic: topicPatternSchema.optional().meta({ description: 'messages on topics matching this carry the point; default: the device topic' }),
    path: jsonPathSchema.optional(),
    /** Where the device's own time is in the payload; the receive time is used without it. */
    time: jsonPathSchema.optional(),
    timeFormat: z.enum(TIME_FORMATS).default('auto').meta({ description: 'auto: ISO 8601 string, or epoch seconds (< 1e11) / milliseconds' }),
    type: z.enum(VALUE_TYPES).default('number').meta({ description: 'number also accepts numeric strings ("21.5")' }),
    /** A message without the path is fine (no sample), rather than a bad sample. */
    optional: z.boolean().default(false),
    /**
     * cumulative: the device's running count (resets at midnight or reboot, wraps at wrapAt),
     * reported as a continuous total. interval: the count of the device's interval, reported as
     * the running total of the intervals. Both skip duplicate and out-of-order messages.
     */
    counter: z.enum(COUNTER_KINDS).optional(),
    wrapAt: z
      .number()
      .int()
      .min(2)
      .max(Number.MAX_SAFE_INTEGER)
      .optional()
      .meta({ description: 'a cumulative counter wraps to 0 at this value (65536, 4294967296)' }),
    /**
     * The most people per second this counting line can count (a property of the counter and
     * where it hangs, so set in the profile): an increase beyond it is not counted but reported.
     */
    maxRatePerSec: z.number().positive().max(10_000).optional().meta({ description: 'counters: plausible people per second for the line (default 20)' }),
    /** A derived point: the increase of the named counter point since the previous message. */
    deltaOf: pointNameSchema.optional(),
  })
  .superRefine((p, ctx) => {
    if (p.deltaOf === undefined && p.path === undefined)
      ctx.addIssue({ code: 'custom', path: ['path'], message: 'a point needs a JSON path (or deltaOf for a derived delta)' });
    if (p.deltaOf !== undefined && p.path !== undefined)
      ctx.addIssue({ code: 'custom', path: ['deltaOf'], message: 'a deltaOf point is derived: it has no path of its own' });
    if (p.deltaOf !== undefined && p.counter !== undefined)
      ctx.addIssue({ code: 'custom', path: ['counter'], message: 'a deltaOf point cannot itself be a counter' });
    if (p.counter !== undefined && p.type !== 'number') ctx.addIssue({ code: 'custom', path: ['type'], message: 'a counter is a number' });
    if (p.maxRatePerSec !== undefined && p.counter === undefined)
      ctx.addIssue({ code: 'custom', path: ['maxRatePerSec'], message: 'maxRatePerSec applies to counters only' });
    if (p.wrapAt !== undefined && p.counter !== 'cumulative')
      ctx.addIssue({ code: 'custom', path: ['wrapAt'], message: 'wrapAt applies to cumulative counters only' });
  });
export type MqttPoint = z.infer<typeof mqttPointSchema>;

export const mqttPointList = pointListSchema(mqttPointSchema);

const hostSchema = z
  .string()
  .min(1)
  .max(253)
  .meta({ examples: ['127.0.0.1', '0.0.0.0'] });

/**
 * Where the device's messages come from. Devices with the same `embedded` host and port share
 * one broker; devices with the same `client` url, username and clientId share one connection.
 * Write the block once with a YAML anchor (`connection: &site { ... }` then `connection: *site`).
 */
export const mqttConnectionSchema = z.discriminatedUnion('mode', [
  z.strictObject({
    mode: z.literal('embedded').meta({ description: 'the gateway runs the broker the sensors publish to' }),
    host: hostSchema.default('127.0.0.1'),
    /** 0 = a free port (tests). */
    port: z.number().int().min(0).max(65_535).default(1883),
    /** MQTT over TLS (usually port 8883): the broker's certificate and key, PEM files. */
    tls: z
      .strictObject({
        cert: z
          .string()
          .min(1)
          .meta({ examples: ['/etc/gridgate/mqtt-broker.crt'] }),
        key: z
          .string()
          .min(1)
          .meta({ examples: ['/etc/gridgate/mqtt-broker.key'] }),
      })
      .optional(),
  }),
  z.strictObject({
    mode: z.literal('client').meta({ description: 'the gateway subscribes to an existing site broker' }),
    url: z
      .string()
      .regex(/^mqtts?:\/\/[^/\s]+(:\d+)?\/?$/, 'must be mqtt://host:port or mqtts://host:port, without credentials')
      .refine((u) => !/\/\/[^/]*@/.test(u), 'must not contain credentials: use username and password')
      .meta({ examples: ['mqtts://broker.site.local:8883'] }),
    username: z.string().min(1).max(256).optional(),
    password: secretRefSchema.optional(),
    clientId: z.string().min(1).max(128).optional().meta({ description: 'default gridgate-<random>' }),
    /** A CA file (PEM) for mqtts:// to a broker with a private CA. */
    ca: z.string().min(1).optional(),
    rejectUnauthorized: z.boolean().default(true),
    keepaliveSec: z.number().int().min(5).max(3600).default(30),
  }),
]);
export type MqttConnection = z.infer<typeof mqttConnectionSchema>;

export const mqttDeviceSchema = z
  .strictObject({
    ...baseDeviceFields,
    driver: z.literal('mqtt'),
    connection: mqttConnectionSchema,
    /** What `{device}` in topic patterns becomes (a serial number, a MAC); default the device id. */
    topicId: z
      .string()
      .superRefine((v, ctx) => {
        const problem = checkTopicId(v);
        if (problem) ctx.addIssue({ code: 'custom', message: `topicId ${problem}` });
      })
      .optional(),
    /** The topic of points that name none. */
    topic: topicPatternSchema.optional(),
    /** The sensor's login on the embedded broker (required there, unused in client mode). */
    auth: z
      .strictObject({
        username: z.string().min(1).max(256).optional().meta({ description: 'default the device id' }),
        password: secretRefSchema,
      })
      .optional(),
    acl: z
      .strictObject({
        /** Topics the sensor may also publish on (status, heartbeat) besides its points' topics. */
        publish: z.array(topicPatternSchema).default([]),
        /** Topic filters the sensor may subscribe to (config downlink); none by default. */
        subscribe: z.array(topicPatternSchema).default([]),
      })
      .prefault({}),
    offlineAfterMs: millisSchema(1000, 86_400_000, 120_000).default(120_000),
    maxPayloadBytes: z.number().int().min(64).max(16_777_216).default(65_536),
    /**
     * A device time is not trusted (the receive time is used, quality uncertain) when it is more
     * than maxFutureMs ahead of the gateway's clock, or more than maxAgeMs behind it.
     */
    deviceTime: z
      .strictObject({
        maxFutureMs: millisSchema(0, 86_400_000, 300_000).default(300_000).meta({ description: 'default 5 min' }),
        maxAgeMs: millisSchema(60_000, 366 * 86_400_000, 7 * 86_400_000)
          .default(7 * 86_400_000)
          .meta({ description: 'default 7 days (sensors that buffer offline)' }),
      })
      .prefault({}),
    /** Byte-identical messages on a topic within this window are dropped as duplicates even without a device time. */
    duplicateWindowMs: millisSchema(0, 3_600_000, 0).default(0),
    points: mqttPointList.default([]),
  })
  .superRefine((d, ctx) => {
    if (d.connection.mode === 'embedded' && !d.auth) {
      ctx.addIssue({
        code: 'custom',
        path: ['auth'],
        message: 'a sensor on the embedded broker needs auth: { username, password: { env | file } } (anonymous clients are refused)',
      });
    }
  });
export type MqttDeviceConfig = z.infer<typeof mqttDeviceSchema>;
export type MqttDeviceInput = z.input<typeof mqttDeviceSchema>;

export const mqttProfileSchema = profileSchemaFor('mqtt', mqttPointList);
export type MqttProfile = z.infer<typeof mqttProfileSchema>;
