import { type Clock, formatTime } from '../core/clock.js';
import type { IdFactory } from '../core/ids.js';
import { EVENT_TYPE_PATTERN, type EventSource, type EventState, type GatewayEvent, type Mode, type Severity } from '../core/model.js';

export interface EventInput {
  type: string;
  state: EventState;
  severity?: Severity;
  key?: string;
  /** Milliseconds since epoch; now by default. */
  ts?: number;
  source: EventSource;
  message?: string;
  data?: Record<string, unknown>;
  snapshot?: GatewayEvent['snapshot'];
  /** How the event gate may suppress a storm of this type (not part of the event itself). */
  suppression?: 'storm' | 'fold' | 'never';
}

/**
 * Makes contract events: a ULID, the site mode at that moment, a type the contract accepts
 * (anything else becomes `vendor.<name>`), a default key pairing active with cleared, and
 * fields cut to the schema's limits.
 */
export class EventFactory {
  constructor(
    private readonly ids: IdFactory,
    private readonly clock: Clock,
    private readonly mode: () => Mode,
  ) {}

  create(input: EventInput): GatewayEvent {
    const ts = input.ts !== undefined && Number.isFinite(input.ts) ? input.ts : this.clock.now();
    const type = contractType(input.type);
    const event: GatewayEvent = {
      id: this.ids(),
      ts: formatTime(ts),
      type,
      severity: input.severity ?? 'info',
      state: input.state,
      mode: this.mode(),
      source: cleanSource(input.source),
    };
    const key = input.key ?? (input.state === 'pulse' ? undefined : defaultKey(type, input.source));
    if (key) event.key = key.slice(0, 200);
    if (input.message) event.message = input.message.slice(0, 1000);
    if (input.data) event.data = input.data;
    if (input.snapshot) event.snapshot = input.snapshot;
    return event;
  }
}

/** `Fire.Smoke` → `fire.smoke`; anything not dotted lower-case → `vendor.<sanitized>`. */
export function contractType(type: string): string {
  if (EVENT_TYPE_PATTERN.test(type)) return type;
  const lowered = type.toLowerCase();
  if (EVENT_TYPE_PATTERN.test(lowered)) return lowered;
  const cleaned = lowered
    .replace(/[^a-z0-9_.]+/g, '_')
    .split('.')
    .map((part) => part.replace(/^[^a-z]+/, ''))
    .filter(Boolean)
    .join('.');
  return cleaned ? `vendor.${cleaned}` : 'vendor.unknown';
}

function defaultKey(type: string, source: EventSource): string {
  const where = [source.device, source.channel, source.zone, source.point].filter((p) => p !== undefined).join(':');
  return where ? `${where}:${type}` : type;
}

function cleanSource(source: EventSource): EventSource {
  const out: EventSource = {};
  if (source.device) out.device = source.device;
  if (source.channel !== undefined && Number.isInteger(source.channel) && source.channel >= 0) out.channel = source.channel;
  if (source.point) out.point = source.point;
  if (source.zone) out.zone = source.zone.slice(0, 128);
  if (source.topic) out.topic = source.topic.slice(0, 512);
  return out;
}
