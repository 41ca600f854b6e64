import type { ShippedMqttProfile } from '../../drivers/mqtt/profile-file.js';
import type { EnvModel, PeopleModel } from './sensor-models.js';

/** The payload shapes the simulator speaks; each matches a shipped profile (a test checks). */
export const SENSOR_SHAPES = ['env-json', 'env-array', 'xovis-live', 'xovis-logic', 'axis-counter', 'axis-occupancy', 'irisys'] as const;
export type SensorShape = (typeof SENSOR_SHAPES)[number];

export interface ShapeContext {
  topicId: string;
  now: number;
  /** The previous message's time (interval start for interval counters). */
  previous: number;
  env: EnvModel;
  people: PeopleModel;
}

export interface PayloadShape {
  /** The profile a gateway device uses for this sensor. */
  profile: ShippedMqttProfile;
  kind: 'mqtt' | 'people-counter';
  /** Counting lines the device has (0 for environment sensors). */
  lines: number;
  /** Where a counter of this shape wraps (the device's register width). */
  wrapAt: number;
  topic(topicId: string): string;
  build(c: ShapeContext): unknown;
}

const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;
/** ISO 8601 with the local offset, as cameras configured for their site's zone send it. */
function isoWithOffset(ms: number, offsetMin = 480): string {
  const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, 19);
  const sign = offsetMin >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMin);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

export const SHAPES: Record<SensorShape, PayloadShape> = {
  'env-json': {
    profile: 'mqtt-env-json',
    kind: 'mqtt',
    lines: 0,
    wrapAt: 2 ** 32,
    topic: (id) => `sensors/${id}/data`,
    build: ({ now, env }) => ({
      ts: now,
      temperature: round(env.temperature),
      humidity: round(env.humidity),
      pm25: round(env.pm25),
      pm10: round(env.pm10),
      noise: round(env.noise),
      battery: round(env.battery, 2),
    }),
  },
  'env-array': {
    profile: 'mqtt-env-array',
    kind: 'mqtt',
    lines: 0,
    wrapAt: 2 ** 32,
    topic: (id) => `sensors/${id}/measurements`,
    build: ({ now, env }) => ({
      time: new Date(now).toISOString(),
      data: [
        { type: 'temperature', value: round((env.temperature * 9) / 5 + 32), unit: 'F' },
        { type: 'humidity', value: round(env.humidity), unit: '%' },
        { type: 'pm2.5', value: round(env.pm25), unit: 'ug/m3' },
        { type: 'noise', value: round(env.noise), unit: 'dBA' },
      ],
    }),
  },
  'xovis-live': {
    profile: 'mqtt-xovis-live',
    kind: 'people-counter',
    lines: 1,
    wrapAt: 2 ** 32,
    topic: (id) => `xovis/${id}/live`,
    build: ({ now, topicId, people }) => ({
      sensor: { serial: topicId, name: `${topicId} (simulated)` },
      time: new Date(now).toISOString(),
      live_counts: people.lines.map((l, i) => ({
        line_id: i,
        line_name: i === 0 ? 'entrance' : `line-${i}`,
        counts: [
          { name: 'fw', value: l.in },
          { name: 'bw', value: l.out },
        ],
      })),
    }),
  },
  'xovis-logic': {
    profile: 'mqtt-xovis-logic',
    kind: 'people-counter',
    lines: 1,
    wrapAt: 2 ** 32,
    topic: (id) => `xovis/${id}/logic`,
    build: ({ now, previous, people }) => ({
      content: {
        element: people.takeInterval().map((c, i) => ({
          'element-id': i,
          'element-name': i === 0 ? 'entrance' : `line-${i}`,
          'data-type': 'LINE',
          resolution: 'CUSTOM',
          from: new Date(previous).toISOString(),
          to: new Date(now).toISOString(),
          counts: [
            { name: 'fw', value: c.in },
            { name: 'bw', value: c.out },
          ],
        })),
      },
    }),
  },
  'axis-counter': {
    profile: 'mqtt-axis-people-counter',
    kind: 'people-counter',
    lines: 1,
    wrapAt: 2 ** 32,
    topic: (id) => `axis/${id}/people-counter`,
    build: ({ now, topicId, people }) => ({
      serial: topicId,
      name: 'Main door',
      timestamp: isoWithOffset(now),
      in: people.lines[0]!.in,
      out: people.lines[0]!.out,
    }),
  },
  'axis-occupancy': {
    profile: 'mqtt-axis-occupancy',
    kind: 'people-counter',
    lines: 1,
    wrapAt: 2 ** 32,
    topic: (id) => `axis/${id}/occupancy`,
    build: ({ now, topicId, people }) => ({
      apiVersion: '1.2',
      serial: topicId,
      timestamp: isoWithOffset(now),
      data: { occupancy: people.occupancy, in: people.lines[0]!.in, out: people.lines[0]!.out },
    }),
  },
  irisys: {
    profile: 'mqtt-irisys-counter',
    kind: 'people-counter',
    lines: 2,
    wrapAt: 65_536,
    topic: (id) => `irisys/${id}/counts`,
    // Whole seconds, like the device: two messages within one second carry the same time.
    build: ({ now, topicId, people }) => ({
      device_id: topicId,
      timestamp: Math.floor(now / 1000),
      counts: people.lines.map((l, i) => ({ line: i + 1, in: l.in, out: l.out })),
    }),
  },
};
