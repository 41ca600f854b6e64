/**
 * The normalized model: what every driver's output becomes before it enters the outbox.
 * Shapes follow contract/ (v1, the project copy of the platform contract) exactly; the outbox and uplink add only the envelope
 * (schema, gateway, site, seq, sentAt).
 */

export const MODES = ['normal', 'holiday', 'major-event', 'emergency'] as const;
export type Mode = (typeof MODES)[number];

export const SEVERITIES = ['info', 'minor', 'major', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const QUALITIES = ['good', 'uncertain', 'bad'] as const;
export type Quality = (typeof QUALITIES)[number];

export const EVENT_STATES = ['active', 'cleared', 'pulse'] as const;
export type EventState = (typeof EVENT_STATES)[number];

export const DEVICE_KINDS = ['camera', 'nvr', 'modbus', 'mqtt', 'people-counter', 'other'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

export const DEVICE_STATUSES = ['online', 'offline', 'error', 'disabled'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

export type ReadingValue = number | boolean | string | null;

/** One measured value, as in telemetry.schema.json `readings[]`. */
export interface Reading {
  id: string;
  device: string;
  point: string;
  /** RFC 3339 UTC with milliseconds: when the value was measured. */
  ts: string;
  value: ReadingValue;
  unit?: string;
  quality: Quality;
  /** Required when quality is `bad` (then value is null). */
  error?: string;
}

export interface EventSource {
  device?: string;
  channel?: number;
  point?: string;
  zone?: string;
  topic?: string;
}

/** An event before the outbox gives it its lane `seq`; the rest is event.schema.json. */
export interface GatewayEvent {
  id: string;
  ts: string;
  type: string;
  severity: Severity;
  state: EventState;
  key?: string;
  mode: Mode;
  source: EventSource;
  message?: string;
  data?: Record<string, unknown>;
  snapshot?: { contentType: 'image/jpeg'; bytes: number };
}

/** device-state.schema.json */
export interface DeviceState {
  device: string;
  kind: DeviceKind;
  status: DeviceStatus;
  ts: string;
  lastSeen?: string;
  error?: string;
  meta?: Record<string, unknown>;
}

/** Event types the platform dispatches on (contract README); others go out as `vendor.<name>`. */
export const KNOWN_EVENT_TYPES = [
  'motion',
  'line.crossed',
  'intrusion',
  'loitering',
  'crowd.density',
  'crowd.threshold',
  'people.count',
  'vehicle.illegal_parking',
  'street.vendor',
  'water.floating_object',
  'fire.smoke',
  'fireworks',
  'object.left',
  'camera.tamper',
  'camera.video_loss',
  'device.offline',
  'device.online',
  'sensor.threshold',
  'mode.changed',
  'gateway.data_dropped',
  'gateway.started',
] as const;

export const EVENT_TYPE_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;
export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const POINT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/;
