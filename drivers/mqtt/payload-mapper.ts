import { mqttError } from './error-codes.js';
import { compileJsonPath, type JsonPath } from './json-path.js';
import type { MqttDeviceConfig, MqttPoint } from './schema.js';
import { expandPattern, topicMatches } from './topic-filter.js';
import type { TimeFormat } from './device-time.js';

/** A point ready for the hot path: its filter expanded for the device, its paths compiled. */
export interface MappedPoint {
  name: string;
  filter: string;
  path: JsonPath | undefined;
  time: JsonPath | undefined;
  timeFormat: TimeFormat;
  type: MqttPoint['type'];
  optional: boolean;
  counter: MqttPoint['counter'];
  wrapAt: number;
  /** Plausible people per second of a counter point. */
  maxRatePerSec: number | undefined;
  /** Derived delta points of this counter. */
  deltas: string[];
}

/** The points one topic carries (computed once per topic, then cached). */
export interface TopicPlan {
  points: MappedPoint[];
  /** Whether any of them reads a device time: a byte-identical repeat is then the same message. */
  timed: boolean;
}

const PLAN_CACHE_MAX = 1024;

/**
 * A device's payload mapping: which topics it uses and which points each topic carries. Built
 * from the (profile-merged) point list when the device is added; configuration mistakes that
 * the schema cannot see across profile and device (a point without a topic, deltaOf naming no
 * counter) are reported here.
 */
export class PayloadMapper {
  readonly points: ReadonlyMap<string, MappedPoint>;
  /** The distinct topic filters the points use (what a client subscribes to). */
  readonly filters: readonly string[];
  private readonly plans = new Map<string, TopicPlan | null>();

  constructor(device: MqttDeviceConfig) {
    const topicId = device.topicId ?? device.id;
    const mapped = new Map<string, MappedPoint>();
    for (const p of device.points) {
      if (p.deltaOf !== undefined) continue;
      const pattern = p.topic ?? device.topic;
      if (pattern === undefined) {
        throw mqttError(
          'E_MQTT_CONFIG',
          `${device.id}: point ${p.name} names no topic and the device has no default topic (set topic on the point or the device)`,
        );
      }
      mapped.set(p.name, {
        name: p.name,
        filter: expandPattern(pattern, topicId),
        path: compileOrThrow(device.id, p.name, p.path!),
        time: p.time === undefined ? undefined : compileOrThrow(device.id, p.name, p.time),
        timeFormat: p.timeFormat,
        type: p.type,
        optional: p.optional,
        counter: p.counter,
        wrapAt: p.wrapAt ?? 2 ** 32,
        maxRatePerSec: p.maxRatePerSec,
        deltas: [],
      });
    }
    for (const p of device.points) {
      if (p.deltaOf === undefined) continue;
      const source = mapped.get(p.deltaOf);
      if (!source?.counter) {
        throw mqttError('E_MQTT_CONFIG', `${device.id}: point ${p.name} is deltaOf ${p.deltaOf}, which is not a counter point of this device`);
      }
      source.deltas.push(p.name);
    }
    this.points = mapped;
    this.filters = [...new Set([...mapped.values()].map((p) => p.filter))];
  }

  /** The points a message on `topic` carries, or undefined when none does. */
  planFor(topic: string): TopicPlan | undefined {
    let plan = this.plans.get(topic);
    if (plan === undefined) {
      const points = [...this.points.values()].filter((p) => topicMatches(p.filter, topic));
      plan = points.length > 0 ? { points, timed: points.some((p) => p.time !== undefined) } : null;
      // Wildcard devices may see many topics: keep the cache bounded.
      if (this.plans.size >= PLAN_CACHE_MAX) this.plans.clear();
      this.plans.set(topic, plan);
    }
    return plan ?? undefined;
  }

  /** Whether `name` is a point of the device (a mapped or derived one). */
  has(name: string): boolean {
    if (this.points.has(name)) return true;
    for (const p of this.points.values()) if (p.deltas.includes(name)) return true;
    return false;
  }
}

function compileOrThrow(device: string, point: string, text: string): JsonPath {
  const compiled = compileJsonPath(text);
  if (typeof compiled === 'string') throw mqttError('E_MQTT_CONFIG', `${device}: point ${point}: JSON path ${compiled}`);
  return compiled;
}
