import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { formatTime } from '../../gateway/core/clock.js';
import { type CountLimits, DEFAULT_COUNT_LIMITS } from '../../gateway/core/plausible-counter.js';
import type { DriverContext, RawSample, RawValue } from '../../gateway/devices/driver.js';
import { CounterTracker } from './counter-tracker.js';
import { parseDeviceTime } from './device-time.js';
import { DeviceStats, INGEST_REASON, type RejectKind } from './device-stats.js';
import { evaluate } from './json-path.js';
import type { MappedPoint, PayloadMapper, TopicPlan } from './payload-mapper.js';
import { RateLimitedLog } from './rate-limited-log.js';
import type { MqttDeviceConfig } from './schema.js';
import { parseStrictJson } from './strict-json.js';
import { topicMatches } from './topic-filter.js';

interface RecentMessage {
  /** The payload, or a digest of it when it is long (kept memory per device small). */
  key: string;
  /** Monotonic ms. */
  at: number;
}

/** A message's device time: `ts` when trusted; `untrusted` says why one present was not. */
interface DeviceTime {
  ts: number | undefined;
  untrusted?: string;
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
  /** One line per minute per kind of problem (a payload flood never hides an ACL denial). */
  private readonly warnings: RateLimitedLog;
  /** Monotonic ms: when the channel was made, and of the last live message (silence is measured on it). */
  private readonly since: number;
  private lastMessageMono: number | undefined;
  /** What is wrong with the way messages reach this device (a site broker down), for the offline reason. */
  linkProblem: () => string | undefined = () => undefined;
  private offlineReported = false;

  constructor(
    readonly config: MqttDeviceConfig,
    readonly mapper: PayloadMapper,
    private readonly ctx: DriverContext,
    readonly log: Logger,
    /** The monotonic clock (ms); tests inject one they move. */
    private readonly monotonic: () => number = () => performance.now(),
  ) {
    this.warnings = new RateLimitedLog(log, 60_000, monotonic);
    this.since = monotonic();
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
    // Wall time stamps data; the monotonic clock measures silence and the duplicate window.
    const now = this.ctx.clock.now();
    const mono = this.monotonic();
    const s = this.stats;
    s.messages++;
    s.bytes += payload.length;
    if (!retained) {
      s.lastMessageAt = now;
      this.lastMessageMono = mono;
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
    const parsed = parseStrictJson(text);
    if (!parsed.ok) {
      const what = parsed.kind === 'duplicateKey' ? 'has a duplicate key' : 'is not JSON';
      this.reject(parsed.kind, topic, `payload on ${topic} ${what} (${parsed.problem}): ${preview(text)}`);
      return;
    }
    const doc = parsed.doc;
    if (typeof doc !== 'object' || doc === null) {
      this.reject('notObject', topic, `payload on ${topic} is ${preview(text)}, not a JSON object or array`);
      return;
    }
    if (this.isDuplicate(topic, text, mono, plan, doc)) {
      s.rejected.duplicate++;
      return;
    }

    const batch: RawSample[] = [];
    let times: Map<string, DeviceTime> | undefined;
    for (const p of plan.points) {
      let time: DeviceTime = { ts: undefined };
      if (p.time) {
        times ??= new Map();
        const known = times.get(p.time.text);
        if (known) time = known;
        else {
          time = this.deviceTime(p, doc, topic, now);
          times.set(p.time.text, time);
        }
      }
      if (retained && time.ts === undefined) continue;
      this.point(p, doc, topic, time.ts ?? now, time.ts, time.untrusted, mono, batch);
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

  /** Called by the driver's sweep with the monotonic clock: offline after offlineAfterMs without a message. */
  checkSilence(mono: number): void {
    const since = this.lastMessageMono ?? this.since;
    const silentMs = mono - since;
    if (silentMs < this.config.offlineAfterMs) return;
    if (!this.stats.online && this.offlineReported) return;
    this.stats.online = false;
    this.offlineReported = true;
    const link = this.linkProblem();
    const error = `no message for ${seconds(this.config.offlineAfterMs)} s${link ? ` (${link})` : ''}`;
    // One log line per status change: the device manager writes it ('device status changed').
    this.ctx.status(this.id, { status: 'offline', error });
  }

  /** A reject on behalf of the broker (ACL, authentication), counted and logged like the rest. */
  refused(kind: 'aclDenied' | 'authFailed', topic: string | undefined, problem: string): void {
    this.count(kind);
    this.warnings.warn({ kind, topic, code: kind === 'aclDenied' ? 'E_MQTT_ACL' : 'E_MQTT_AUTH', problem }, 'sensor refused');
  }

  private setOnline(): void {
    this.stats.online = true;
    this.offlineReported = false;
    this.ctx.status(this.id, { status: 'online' });
  }

  /**
   * One point of a message. `deviceTs` only when the device time is trusted; `untrusted` says why
   * the device time was not (the sample then has the receive time and quality uncertain).
   */
  private point(
    p: MappedPoint,
    doc: object,
    topic: string,
    ts: number,
    deviceTs: number | undefined,
    untrusted: string | undefined,
    mono: number,
    out: RawSample[],
  ): void {
    const found = evaluate(p.path!, doc);
    if (!found.found) {
      if (p.optional) return;
      this.count('missingPath');
      this.bad(p, topic, ts, `${p.path!.text} is missing`, out);
      return;
    }
    const raw = coerce(p.type, found.value);
    if (raw === undefined) {
      this.count('wrongType');
      this.bad(p, topic, ts, `${p.path!.text} is ${preview(JSON.stringify(found.value) ?? String(found.value))}, not a ${p.type}`, out);
      return;
    }
    const flag = untrusted === undefined ? {} : { quality: 'uncertain' as const, error: untrusted };
    if (!p.counter) {
      out.push({ device: this.id, point: p.name, ts, raw, ...flag });
      return;
    }
    const count = raw as number;
    if (!Number.isInteger(count) || count < 0) {
      this.count('wrongType');
      this.bad(p, topic, ts, `${p.path!.text} is ${count}, not a count (a whole number >= 0)`, out);
      return;
    }
    const tracker = this.tracker(p, p.counter);
    const step = tracker.next(count, deviceTs, { mono, wall: this.ctx.clock.now() });
    if (step === 'duplicate') {
      this.stats.rejected.duplicate++;
      return;
    }
    if (step === 'out-of-order') {
      this.count('outOfOrder');
      this.warnings.warn(
        { kind: 'outOfOrder', topic, point: p.name, code: 'E_MQTT_PAYLOAD', problem: `payload on ${topic}: ${p.name} is older than the last one taken` },
        'message rejected',
      );
      return;
    }
    this.ctx.counters?.set(this.id, p.name, tracker.state);
    if (step.kind === 'implausible') {
      this.count('implausible');
      const error = `payload on ${topic}: ${p.name}: ${step.reason}`;
      this.warnings.warn({ kind: 'implausible', topic, point: p.name, code: 'E_MQTT_PAYLOAD', problem: error }, 'count not taken');
      // The total stays where it was; the reading says why it did not move.
      out.push({ device: this.id, point: p.name, ts, raw: step.total, quality: 'uncertain', error });
      this.ctx.event({
        device: this.id,
        type: 'vendor.counter.implausible',
        state: 'pulse',
        severity: 'minor',
        ts,
        point: p.name,
        topic,
        message: `${this.id} ${p.name}: ${step.reason}`.slice(0, 1000),
        data: {
          raw: step.raw,
          last: step.last,
          change: step.change,
          allowed: step.allowed,
          elapsedMs: Math.round(step.elapsedMs),
          total: step.total,
          payload: preview(JSON.stringify(doc)),
        },
      });
      return;
    }
    if (step.event === 'wrap') this.stats.counterWraps++;
    if (step.event === 'reset' || step.event === 'rebased') this.stats.counterResets++;
    if (step.event) {
      const note =
        step.event === 'wrap' ? 'counter wrapped' : step.event === 'reset' ? 'counter reset by the device' : 'counter re-based on a confirmed new level';
      this.warnings.info({ kind: `counter-${step.event}`, point: p.name, raw: count, total: step.total, event: step.event }, note);
    }
    out.push({ device: this.id, point: p.name, ts, raw: step.total, ...flag });
    if (step.delta !== undefined) for (const d of p.deltas) out.push({ device: this.id, point: d, ts, raw: step.delta, ...flag });
  }

  /** A counter point's tracker, from its stored state the first time (a restart goes on counting). */
  private tracker(p: MappedPoint, kind: 'cumulative' | 'interval'): CounterTracker {
    let tracker = this.counters.get(p.name);
    if (!tracker) {
      const limits: CountLimits = p.maxRatePerSec === undefined ? DEFAULT_COUNT_LIMITS : { ...DEFAULT_COUNT_LIMITS, maxRatePerSec: p.maxRatePerSec };
      tracker = new CounterTracker(kind, p.wrapAt, limits, this.ctx.counters?.get(this.id, p.name));
      this.counters.set(p.name, tracker);
    }
    return tracker;
  }

  private bad(p: MappedPoint, topic: string, ts: number, what: string, out: RawSample[]): void {
    const error = `payload on ${topic}: ${what}`;
    this.warnings.warn({ kind: 'badPoint', topic, point: p.name, code: 'E_MQTT_PAYLOAD', problem: error }, 'point rejected');
    out.push({ device: this.id, point: p.name, ts, raw: null, quality: 'bad', error });
    for (const d of p.deltas) out.push({ device: this.id, point: d, ts, raw: null, quality: 'bad', error });
  }

  /**
   * The device's time in a message. Unreadable: the receive time is used. Readable but more
   * than deviceTime.maxFutureMs ahead of the gateway's clock or maxAgeMs behind it: not trusted
   * (a device clock set to 2099 would otherwise stamp its readings 2099 and make every later
   * message look out of order): the receive time is used, with quality uncertain and the reason.
   */
  private deviceTime(p: MappedPoint, doc: object, topic: string, now: number): DeviceTime {
    const found = evaluate(p.time!, doc);
    if (!found.found) return { ts: undefined };
    const ms = parseDeviceTime(found.value, p.timeFormat);
    if (typeof ms !== 'number') {
      this.count('badTime');
      this.warnings.warn(
        { kind: 'badTime', topic, code: 'E_MQTT_PAYLOAD', problem: `payload on ${topic}: ${p.time!.text}: ${ms}; the receive time is used` },
        'device time rejected',
      );
      return { ts: undefined };
    }
    const { maxFutureMs, maxAgeMs } = this.config.deviceTime;
    let why: string | undefined;
    if (ms > now + maxFutureMs) why = `is ${duration(ms - now)} ahead of the gateway's clock (deviceTime.maxFutureMs ${maxFutureMs})`;
    else if (ms < now - maxAgeMs) why = `is ${duration(now - ms)} behind the gateway's clock (deviceTime.maxAgeMs ${maxAgeMs})`;
    if (why === undefined) return { ts: ms };
    this.count('untrustedTime');
    const untrusted = `device time ${formatTime(ms)} at ${p.time!.text} ${why}: not trusted, the receive time is used`;
    this.warnings.warn({ kind: 'untrustedTime', topic, code: 'E_MQTT_PAYLOAD', problem: `payload on ${topic}: ${untrusted}` }, 'device time not trusted');
    return { ts: undefined, untrusted };
  }

  /**
   * A byte-identical repeat of a recent message on the topic is the same message again (a QoS 1
   * resend, a retry) when it carries a device time, or when it came within duplicateWindowMs.
   * Without either it is a sensor repeating an unchanged value, and is taken.
   */
  private isDuplicate(topic: string, text: string, mono: number, plan: TopicPlan, doc: object): boolean {
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
    if (seen && ((window > 0 && mono - seen.at <= window) || (plan.timed && carriesTime(plan, doc)))) return true;
    if (list.length >= RECENT_PER_TOPIC) list.shift();
    list.push({ key, at: mono });
    return false;
  }

  /** Counts a refusal on the device, and under its reason in the gateway's metrics. */
  private count(kind: RejectKind): void {
    this.stats.rejected[kind]++;
    const reason = INGEST_REASON[kind];
    if (reason) this.ctx.rejected?.(this.id, reason);
  }

  private reject(kind: RejectKind, topic: string, problem: string): void {
    this.count(kind);
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

/** A readable length of time for messages (`73 years`, `2.0 h`, `45 s`). */
function duration(ms: number): string {
  if (ms >= 365 * 86_400_000) return `${Math.round(ms / (365.25 * 86_400_000))} years`;
  if (ms >= 86_400_000) return `${(ms / 86_400_000).toFixed(1)} days`;
  if (ms >= 3_600_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  if (ms >= 60_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${Math.round(ms / 1000)} s`;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? String(ms / 1000) : (ms / 1000).toFixed(1);
}
