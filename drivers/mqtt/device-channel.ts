import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { DriverContext, RawSample, RawValue } from '../../gateway/devices/driver.js';
import { CounterTracker } from './counter-tracker.js';
import { parseDeviceTime } from './device-time.js';
import { DeviceStats, type RejectKind } from './device-stats.js';
import { evaluate } from './json-path.js';
import type { MappedPoint, PayloadMapper, TopicPlan } from './payload-mapper.js';
import { RateLimitedLog } from './rate-limited-log.js';
import type { MqttDeviceConfig } from './schema.js';
import { topicMatches } from './topic-filter.js';

interface RecentMessage {
  /** The payload, or a digest of it when it is long (kept memory per device small). */
  key: string;
  at: number;
}

/** Byte-identical repeats are looked for among this many recent messages per topic. */
const RECENT_PER_TOPIC = 8;
const RECENT_TOPICS_MAX = 64;
/** Longer payloads are remembered by their SHA-1 (duplicate detection, not security). */
const RECENT_TEXT_MAX = 1024;

/**
 * One MQTT device at run time: takes its messages, turns them into raw samples through its
 * payload mapping, keeps its counters, last values, statistics and online state. A bad message
 * is counted and logged (rate-limited) and affects nothing else; a bad point in a good message
 * becomes a `bad` sample saying what is wrong and where.
 */
export class DeviceChannel {
  readonly stats = new DeviceStats();
  private readonly counters = new Map<string, CounterTracker>();
  private readonly last = new Map<string, RawSample>();
  private lastMessage: { topic: string; at: number; payload: Buffer } | undefined;
  private readonly recent = new Map<string, RecentMessage[]>();
  private readonly warnings: RateLimitedLog;
  /** Counter resets and wraps: rare on a healthy counter, a flood on a broken one. */
  private readonly counterNotes: RateLimitedLog;
  private readonly since: number;
  /** What is wrong with the way messages reach this device (a site broker down), for the offline reason. */
  linkProblem: () => string | undefined = () => undefined;
  private offlineReported = false;

  constructor(
    readonly config: MqttDeviceConfig,
    readonly mapper: PayloadMapper,
    private readonly ctx: DriverContext,
    readonly log: Logger,
  ) {
    this.warnings = new RateLimitedLog(log, ctx.clock);
    this.counterNotes = new RateLimitedLog(log, ctx.clock);
    this.since = ctx.clock.now();
  }

  get id(): string {
    return this.config.id;
  }

  /** Whether the sensor may publish on `topic` (its points' topics and acl.publish). */
  mayPublish(topic: string, aclFilters: readonly string[]): boolean {
    for (const f of this.mapper.filters) if (topicMatches(f, topic)) return true;
    for (const f of aclFilters) if (topicMatches(f, topic)) return true;
    return false;
  }

  /**
   * One message for this device. Never throws. `retained`: a site broker's stored message,
   * delivered when the gateway subscribed: no sign that the sensor is alive now, and taken only
   * for the points whose device time it carries (others would be stamped with the wrong time).
   */
  handle(topic: string, payload: Buffer, retained = false): void {
    const now = this.ctx.clock.now();
    const s = this.stats;
    s.messages++;
    s.bytes += payload.length;
    if (!retained) {
      s.lastMessageAt = now;
      if (!s.online) this.setOnline();
    }
    this.lastMessage = { topic, at: now, payload };

    const max = this.config.maxPayloadBytes;
    if (payload.length > max) {
      this.reject('oversized', topic, `payload on ${topic} is ${payload.length} bytes, over maxPayloadBytes ${max}`);
      return;
    }
    const plan = this.mapper.planFor(topic);
    if (!plan) {
      this.reject('unknownTopic', topic, `message on ${topic}: no point of ${this.id} is mapped to this topic`);
      return;
    }
    const text = payload.toString('utf8');
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      this.reject('notJson', topic, `payload on ${topic} is not JSON (${(err as Error).message}): ${preview(text)}`);
      return;
    }
    if (typeof doc !== 'object' || doc === null) {
      this.reject('notObject', topic, `payload on ${topic} is ${preview(text)}, not a JSON object or array`);
      return;
    }
    if (this.isDuplicate(topic, text, now, plan, doc)) {
      s.rejected.duplicate++;
      return;
    }

    const batch: RawSample[] = [];
    let times: Map<string, number | undefined> | undefined;
    for (const p of plan.points) {
      let ts = now;
      let deviceTs: number | undefined;
      if (p.time) {
        times ??= new Map();
        if (times.has(p.time.text)) deviceTs = times.get(p.time.text);
        else {
          deviceTs = this.deviceTime(p, doc, topic);
          times.set(p.time.text, deviceTs);
        }
        if (deviceTs !== undefined) ts = deviceTs;
      }
      if (retained && deviceTs === undefined) continue;
      this.point(p, doc, topic, ts, deviceTs, batch);
    }
    if (batch.length === 0) return;
    s.samples += batch.length;
    for (const sample of batch) this.last.set(sample.point, sample);
    this.ctx.samples(batch);
  }

  /** The last message as it arrived (topic, gateway time, size, the start of the payload), for the UI. */
  lastSeen(): { topic: string; at: number; bytes: number; preview: string } | undefined {
    const m = this.lastMessage;
    if (!m) return undefined;
    return { topic: m.topic, at: m.at, bytes: m.payload.length, preview: m.payload.subarray(0, 512).toString('utf8') };
  }

  /** The last sample of a point, if a message carried it. */
  lastSample(point: string): RawSample | undefined {
    return this.last.get(point);
  }

  /** Called by the driver's sweep: offline after offlineAfterMs without a message. */
  checkSilence(now: number): void {
    const since = this.stats.lastMessageAt ?? this.since;
    const silentMs = now - since;
    if (silentMs < this.config.offlineAfterMs) return;
    if (!this.stats.online && this.offlineReported) return;
    this.stats.online = false;
    this.offlineReported = true;
    const link = this.linkProblem();
    const error = `no message for ${seconds(this.config.offlineAfterMs)} s${link ? ` (${link})` : ''}`;
    this.log.warn({ error }, 'device offline');
    this.ctx.status(this.id, { status: 'offline', error });
  }

  /** A reject on behalf of the broker (ACL, authentication), counted and logged like the rest. */
  refused(kind: 'aclDenied' | 'authFailed', topic: string | undefined, problem: string): void {
    this.stats.rejected[kind]++;
    this.warnings.warn({ kind, topic, code: kind === 'aclDenied' ? 'E_MQTT_ACL' : 'E_MQTT_AUTH', problem }, 'sensor refused');
  }

  private setOnline(): void {
    this.stats.online = true;
    this.offlineReported = false;
    this.log.info('device online');
    this.ctx.status(this.id, { status: 'online' });
  }

  private point(p: MappedPoint, doc: object, topic: string, ts: number, deviceTs: number | undefined, out: RawSample[]): void {
    const found = evaluate(p.path!, doc);
    if (!found.found) {
      if (p.optional) return;
      this.stats.rejected.missingPath++;
      this.bad(p, topic, ts, `${p.path!.text} is missing`, out);
      return;
    }
    const raw = coerce(p.type, found.value);
    if (raw === undefined) {
      this.stats.rejected.wrongType++;
      this.bad(p, topic, ts, `${p.path!.text} is ${preview(JSON.stringify(found.value) ?? String(found.value))}, not a ${p.type}`, out);
      return;
    }
    if (!p.counter) {
      out.push({ device: this.id, point: p.name, ts, raw });
      return;
    }
    const count = raw as number;
    if (!Number.isInteger(count) || count < 0) {
      this.stats.rejected.wrongType++;
      this.bad(p, topic, ts, `${p.path!.text} is ${count}, not a count (a whole number >= 0)`, out);
      return;
    }
    let tracker = this.counters.get(p.name);
    if (!tracker) {
      tracker = new CounterTracker(p.counter, p.wrapAt);
      this.counters.set(p.name, tracker);
    }
    const step = tracker.next(count, deviceTs);
    if (step === 'duplicate') {
      this.stats.rejected.duplicate++;
      return;
    }
    if (step === 'out-of-order') {
      this.stats.rejected.outOfOrder++;
      this.warnings.warn({ kind: 'outOfOrder', topic, point: p.name, code: 'E_MQTT_PAYLOAD', problem: `payload on ${topic}: ${p.name} is older than the last one taken` }, 'message rejected');
      return;
    }
    if (step.event === 'wrap') this.stats.counterWraps++;
    if (step.event === 'reset') this.stats.counterResets++;
    if (step.event) this.counterNotes.info({ point: p.name, raw: count, total: step.total, event: step.event }, step.event === 'wrap' ? 'counter wrapped' : 'counter reset by the device');
    out.push({ device: this.id, point: p.name, ts, raw: step.total });
    if (step.delta !== undefined) for (const d of p.deltas) out.push({ device: this.id, point: d, ts, raw: step.delta });
  }

  private bad(p: MappedPoint, topic: string, ts: number, what: string, out: RawSample[]): void {
    const error = `payload on ${topic}: ${what}`;
    this.warnings.warn({ kind: 'badPoint', topic, point: p.name, code: 'E_MQTT_PAYLOAD', problem: error }, 'point rejected');
    out.push({ device: this.id, point: p.name, ts, raw: null, quality: 'bad', error });
    for (const d of p.deltas) out.push({ device: this.id, point: d, ts, raw: null, quality: 'bad', error });
  }

  private deviceTime(p: MappedPoint, doc: object, topic: string): number | undefined {
    const found = evaluate(p.time!, doc);
    if (!found.found) return undefined;
    const ms = parseDeviceTime(found.value, p.timeFormat);
    if (typeof ms === 'number') return ms;
    this.stats.rejected.badTime++;
    this.warnings.warn({ kind: 'badTime', topic, code: 'E_MQTT_PAYLOAD', problem: `payload on ${topic}: ${p.time!.text}: ${ms}; the receive time is used` }, 'device time rejected');
    return undefined;
  }

  /**
   * A byte-identical repeat of a recent message on the topic is the same message again (a QoS 1
   * resend, a retry) when it carries a device time, or when it came within duplicateWindowMs.
   * Without either it is a sensor repeating an unchanged value, and is taken.
   */
  private isDuplicate(topic: string, text: string, now: number, plan: TopicPlan, doc: object): boolean {
    const window = this.config.duplicateWindowMs;
    if (!plan.timed && window === 0) return false;
    let list = this.recent.get(topic);
    if (!list) {
      if (this.recent.size >= RECENT_TOPICS_MAX) this.recent.clear();
      list = [];
      this.recent.set(topic, list);
    }
    const key = text.length <= RECENT_TEXT_MAX ? text : `sha1:${createHash('sha1').update(text).digest('base64')}`;
    const seen = list.find((m) => m.key === key);
    if (seen && ((window > 0 && now - seen.at <= window) || (plan.timed && carriesTime(plan, doc)))) return true;
    if (list.length >= RECENT_PER_TOPIC) list.shift();
    list.push({ key, at: now });
    return false;
  }

  private reject(kind: RejectKind, topic: string, problem: string): void {
    this.stats.rejected[kind]++;
    this.warnings.warn({ kind, topic, code: kind === 'unknownTopic' ? 'E_MQTT_UNKNOWN_TOPIC' : 'E_MQTT_PAYLOAD', problem }, 'message rejected');
  }
}

/** Whether the payload holds a device time at one of the plan's time paths. */
function carriesTime(plan: TopicPlan, doc: object): boolean {
  return plan.points.some((p) => p.time !== undefined && evaluate(p.time, doc).found);
}

/** The raw value of a JSON value for a point type, or undefined when it is the wrong type. */
function coerce(type: MappedPoint['type'], v: unknown): RawValue | undefined {
  switch (type) {
    case 'number':
      if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
      if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/.test(v)) return Number(v);
      return undefined;
    case 'boolean':
      if (typeof v === 'boolean') return v;
      if (v === 0 || v === 1) return v === 1;
      return undefined;
    case 'string':
      return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
  }
}

function preview(text: string): string {
  const clean = text.replace(/\p{Cc}/gu, ' ');
  return clean.length > 60 ? `${clean.slice(0, 57)}...` : clean;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? String(ms / 1000) : (ms / 1000).toFixed(1);
}
