import { z } from 'zod';
import { deviceSchema } from './devices.js';
import { MODES } from '../../core/model.js';
import { millisSchema, modeSchema, nameSchema, secretRefSchema, severitySchema } from './common.js';
import { calendarSchema, rulesSchema } from './rules.js';
import { zoneSchema } from './zones.js';

/**
 * The gateway configuration: the single source of its TypeScript type, its validation (with
 * readable errors and examples, see gateway/config/config-errors.ts) and the UI forms.
 */

const platformUrlSchema = z
  .string()
  .refine((s) => /^(mqtts?|wss?|tcp|ssl):\/\/[^/\s]+/.test(s), {
    message: 'must be an mqtt:// or mqtts:// URL with a host and an optional port',
  })
  .refine((s) => !/:\/\/[^/@]*:[^/@]*@/.test(s), {
    message: 'must not contain a password: use platform.password ({ file } or { env })',
  })
  .meta({ examples: ['mqtts://platform.example:8883'] });

/** Sparkplug B ids: UTF-8 without the MQTT separators and wildcards (Sparkplug 3.0 [tck-id-intro-group-id-chars]). */
const sparkplugIdSchema = z.string().regex(/^[^/#+\s]{1,128}$/, 'must be 1 to 128 characters without / # + or spaces');

/** Sparkplug B 3.0 profile (docs/sparkplug.md). */
export const sparkplugSchema = z.strictObject({
  /** Group ID; defaults to the site. */
  groupId: sparkplugIdSchema.optional(),
  /** Edge Node ID; defaults to the gateway id. */
  edgeNodeId: sparkplugIdSchema.optional(),
  /** Publish only while this Primary Host Application's STATE says online (spBv1.0/STATE/{id}). */
  primaryHostId: sparkplugIdSchema.optional(),
  /**
   * QoS of births and data. The spec says 0 ([tck-id-topics-ddata-mqtt]); 1 (the default) lets the
   * outbox forget a message only on PUBACK, so nothing is lost when the link drops.
   */
  qos: z.union([z.literal(0), z.literal(1)]).default(1),
});

export const platformSchema = z.strictObject({
  /** Which upstream contract is spoken: gridgate v1 (contract/) or Sparkplug B 3.0. */
  profile: z.enum(['gridgate-v1', 'sparkplug-b']).default('gridgate-v1'),
  sparkplug: sparkplugSchema.prefault({}),
  url: platformUrlSchema,
  /** Topic prefix; the contract's ROOT is `{prefix}/{site}/{gateway}`. */
  prefix: z
    .string()
    .regex(/^[^#+\s]+[^/#+\s]$/, 'must be an MQTT topic without wildcards or a trailing slash')
    .default('gridgate/v1')
    .meta({ examples: ['gridgate/v1'] }),
  protocolVersion: z
    .union([z.literal(4), z.literal(5)])
    .default(4)
    .meta({ description: '4 = MQTT 3.1.1, 5 = MQTT 5', examples: [4] }),
  username: z.string().min(1).max(256).optional(),
  password: secretRefSchema.optional(),
  tls: z
    .strictObject({
      ca: z
        .string()
        .min(1)
        .optional()
        .meta({ examples: ['/etc/gridgate/platform-ca.pem'] }),
      cert: z.string().min(1).optional(),
      key: z.string().min(1).optional(),
      rejectUnauthorized: z.boolean().default(true),
    })
    .optional(),
  keepaliveSeconds: z.number().int().min(5).max(3600).default(30),
  /** MQTT 5 session expiry; with 3.1.1 the session is kept by clean=false. */
  sessionExpirySeconds: z
    .number()
    .int()
    .min(60)
    .max(4_294_967_295)
    .default(7 * 86_400),
  reconnect: z
    .strictObject({
      minDelayMs: millisSchema(100, 60_000, 1000).default(1000),
      maxDelayMs: millisSchema(1000, 3_600_000, 60_000).default(60_000),
    })
    .prefault({}),
  /** How many unacknowledged messages each lane may have on the wire (bounds duplicates and memory). */
  inflight: z
    .strictObject({
      events: z.number().int().min(1).max(1000).default(32),
      telemetryBatches: z.number().int().min(1).max(64).default(4),
    })
    .prefault({}),
  /**
   * After a remote configuration change that touches the platform connection (or the gateway id or
   * site), the platform must be heard from within this time, else the gateway rolls back by itself.
   */
  configConfirmMs: millisSchema(1000, 3_600_000, 120_000).default(120_000),
  /** How often the retained `state` is refreshed (outbox backlog, device counts). */
  stateIntervalMs: millisSchema(1000, 3_600_000, 60_000).default(30_000),
});

export const outboxSchema = z
  .strictObject({
    /** Payload bytes the outbox may hold; the database file is somewhat larger (indexes, pages). */
    capacityBytes: z
      .number()
      .int()
      .min(1024 * 1024)
      .default(512 * 1024 * 1024)
      .meta({ examples: [536_870_912], description: 'bytes, at least 1 MiB' }),
    /** SQLite `synchronous`: FULL survives power loss, NORMAL only a process crash. */
    synchronous: z.enum(['FULL', 'NORMAL']).default('FULL'),
    /** Below this much free disk space new readings are dropped (and reported) so events and acknowledgements can still be written. */
    minFreeBytes: z
      .number()
      .int()
      .min(0)
      .default(32 * 1024 * 1024)
      .meta({ examples: [33_554_432], description: 'bytes of free disk space kept for events and acknowledgements' }),
  })
  .prefault({});

export const batchingSchema = z.strictObject({
  maxReadings: z
    .number()
    .int()
    .min(1)
    .max(5000)
    .default(1000)
    .meta({ examples: [1000], description: 'readings per telemetry batch (contract max 5000)' }),
  maxDelayMs: millisSchema(0, 600_000, 1000).default(1000),
});

/** What a mode changes (zone thresholds by mode are in each zone; poll intervals in the profiles). */
export const modePolicySchema = z.strictObject({
  batching: batchingSchema.partial().optional(),
  /** Event types that get a snapshot from their camera (or the zone's cameras) in this mode. */
  snapshots: z
    .array(z.string().min(1))
    .optional()
    .meta({ examples: [['crowd.threshold', 'fireworks']] }),
  /** Severity overrides by event type in this mode. */
  severities: z.record(z.string().min(1), severitySchema).optional(),
});

export const modesSchema = z
  .strictObject({
    /** The mode on first start; afterwards the persisted mode wins. */
    initial: modeSchema.default('normal'),
    policies: z.partialRecord(z.enum(MODES), modePolicySchema).default({ emergency: { batching: { maxDelayMs: 0 } } }),
  })
  .prefault({});

export const httpSchema = z
  .strictObject({
    host: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .meta({ examples: ['127.0.0.1'] }),
    port: z
      .number()
      .int()
      .min(0)
      .max(65_535)
      .default(8080)
      .meta({ examples: [8080] }),
    /**
     * HTTPS with a self-signed certificate made at first start (its fingerprint is printed with the
     * setup code and logged). On by default when `host` is not loopback; `false` turns it off
     * (only behind a TLS proxy on the same box: passwords and cookies would cross the LAN in clear).
     */
    tls: z.union([z.literal(false), z.strictObject({ selfSigned: z.literal(true) })]).optional(),
    /** Further names and addresses of the box the UI is reached by (the Host check against DNS rebinding). */
    allowedHosts: z
      .array(z.string().min(1).max(253))
      .default([])
      .meta({ examples: [['gw-cbd-01.site.lan', '10.20.0.5']] }),
    /** `/metrics` from the network needs this bearer token (Prometheus `authorization`); without it, loopback only. */
    metrics: z.strictObject({ token: secretRefSchema.optional() }).prefault({}),
    /** Live view (ffmpeg transcodes): caps that keep a 2-core box doing its real work. */
    liveView: z
      .strictObject({
        /** ffmpeg processes at once on this gateway (one per watched camera stream, shared by its viewers). */
        maxTranscodes: z.number().int().min(0).max(64).default(4),
        /** Live view sockets one user may hold at once. */
        maxViewersPerUser: z.number().int().min(1).max(64).default(4),
        /** Live view sockets at once on this gateway, all users. */
        maxViewers: z.number().int().min(1).max(256).default(16),
      })
      .prefault({}),
  })
  .prefault({});

export const gatewayConfigSchema = z
  .strictObject({
    gateway: nameSchema.meta({ examples: ['gw-cbd-01'] }),
    site: nameSchema.meta({ examples: ['zhengdong-cbd'] }),
    dataDir: z
      .string()
      .min(1)
      .default('./data')
      .meta({ examples: ['/var/lib/gridgate'] }),
    platform: platformSchema,
    outbox: outboxSchema,
    batching: batchingSchema.prefault({}),
    modes: modesSchema,
    http: httpSchema,
    log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info') }).prefault({}),
    /** Extra folders of profiles, after config/profiles. */
    profileDirs: z.array(z.string().min(1)).default([]),
    devices: z.array(deviceSchema).default([]),
    zones: z.array(zoneSchema).default([]),
    rules: rulesSchema,
    calendar: calendarSchema,
    /** Snapshots the core fetches for events: at most one per camera per interval, at most this size. */
    snapshots: z
      .strictObject({
        minIntervalMs: z.number().int().min(0).default(2000),
        maxBytes: z
          .number()
          .int()
          .min(1024)
          .default(2 * 1024 * 1024),
      })
      .prefault({}),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, number>();
    cfg.devices.forEach((d, i) => {
      const first = seen.get(d.id);
      if (first !== undefined)
        ctx.addIssue({ code: 'custom', path: ['devices', i, 'id'], message: `device id "${d.id}" is already used by devices[${first}]` });
      else seen.set(d.id, i);
    });
    const deviceIds = new Set(cfg.devices.map((d) => d.id));
    const zoneIds = new Set<string>();
    cfg.zones.forEach((zone, i) => {
      if (zoneIds.has(zone.id)) ctx.addIssue({ code: 'custom', path: ['zones', i, 'id'], message: `zone id "${zone.id}" is used twice` });
      zoneIds.add(zone.id);
      zone.lines.forEach((line, j) => {
        if (!deviceIds.has(line.device))
          ctx.addIssue({ code: 'custom', path: ['zones', i, 'lines', j, 'device'], message: `no device "${line.device}" is configured` });
        if (!line.in && !line.out)
          ctx.addIssue({ code: 'custom', path: ['zones', i, 'lines', j], message: 'a counting line needs an in point, an out point, or both' });
      });
    });
    cfg.rules.modeRules.forEach((r, i) => {
      if (r.zone !== '*' && !zoneIds.has(r.zone))
        ctx.addIssue({ code: 'custom', path: ['rules', 'modeRules', i, 'zone'], message: `no zone "${r.zone}" is configured` });
    });
    cfg.rules.sensorThresholds.forEach((t, i) => {
      if (t.device !== '*' && !deviceIds.has(t.device))
        ctx.addIssue({ code: 'custom', path: ['rules', 'sensorThresholds', i, 'device'], message: `no device "${t.device}" is configured` });
    });
    cfg.calendar.events.forEach((e, i) => {
      if (e.end <= e.start) ctx.addIssue({ code: 'custom', path: ['calendar', 'events', i, 'end'], message: `must be after start (${e.start})` });
    });
    if (cfg.platform.reconnect.maxDelayMs < cfg.platform.reconnect.minDelayMs) {
      ctx.addIssue({ code: 'custom', path: ['platform', 'reconnect', 'maxDelayMs'], message: 'must be at least minDelayMs' });
    }
    const tls = cfg.platform.tls;
    if (tls && Boolean(tls.cert) !== Boolean(tls.key)) {
      ctx.addIssue({ code: 'custom', path: ['platform', 'tls'], message: 'a client certificate needs both cert and key' });
    }
    if (tls && !cfg.platform.url.startsWith('mqtts://') && !cfg.platform.url.startsWith('wss://') && !cfg.platform.url.startsWith('ssl://')) {
      ctx.addIssue({ code: 'custom', path: ['platform', 'url'], message: 'tls is set, so the URL must be mqtts://' });
    }
  });

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;
export type PlatformConfig = GatewayConfig['platform'];
export type BatchingConfig = z.infer<typeof batchingSchema>;
