import type { SensorFault } from './faults.js';
import { type SensorCounters, type SensorSpec, SimulatedSensor } from './simulated-sensor.js';
import type { Random } from './sensor-models.js';

export type { SensorFault } from './faults.js';
export type { SensorSpec } from './simulated-sensor.js';

export interface MqttSensorsOptions {
  /** The broker: the gateway's embedded one (`mqtt://127.0.0.1:1883`) or a site broker. */
  url: string;
  sensors: SensorSpec[];
  /** QoS of good messages; default 1 (faults on wrong topics always go with QoS 0). */
  qos?: 0 | 1;
  /** Retry period while the broker is not up or refused us; default 1000 ms. */
  reconnectPeriodMs?: number;
  random?: Random;
  /** The sensors' clock (ms); default Date.now. */
  now?: () => number;
}

export interface MqttSensors {
  readonly ids: readonly string[];
  /** Publish interval of one sensor or all, in messages per second. */
  setRate(perSecond: number, id?: string): void;
  /** People flow multiplier (1 = normal day, 5 = major event). */
  setCrowd(factor: number, id?: string): void;
  /** The device's counters back to 0, as at midnight or after a reboot. */
  resetCounters(id?: string): void;
  inject(id: string, fault: SensorFault): Promise<void>;
  /** One good message now (tests). */
  publishNow(id: string): Promise<void>;
  publishRaw(id: string, topic: string, payload: string | Buffer): Promise<void>;
  /** The device-side counts of a people counter, per line. */
  counts(id: string): Array<{ in: number; out: number }>;
  counters(id: string): SensorCounters;
  connected(id: string): boolean;
  /** Resolves when every sensor is connected. */
  waitConnected(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Simulated MQTT sensors and people counters publishing to a broker, each with its own login,
 * in the payload shapes of the shipped profiles. For the demo, the tests and by hand (cli.ts).
 */
export function startMqttSensors(options: MqttSensorsOptions): MqttSensors {
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const sensors = new Map<string, SimulatedSensor>();
  for (const spec of options.sensors) {
    if (sensors.has(spec.id)) throw new Error(`sensor ${spec.id} is listed twice`);
    sensors.set(spec.id, new SimulatedSensor(spec, options.url, random, now, options.qos ?? 1, options.reconnectPeriodMs ?? 1000));
  }
  for (const s of sensors.values()) s.start();
  const one = (id: string) => {
    const s = sensors.get(id);
    if (!s) throw new Error(`no simulated sensor ${id} (have ${[...sensors.keys()].join(', ')})`);
    return s;
  };
  const some = (id?: string) => (id === undefined ? [...sensors.values()] : [one(id)]);
  return {
    ids: [...sensors.keys()],
    setRate: (perSecond, id) => {
      for (const s of some(id)) s.setInterval(1000 / perSecond);
    },
    setCrowd: (factor, id) => {
      for (const s of some(id)) s.people.crowd = factor;
    },
    resetCounters: (id) => {
      for (const s of some(id)) s.people.reset();
    },
    inject: (id, fault) => one(id).inject(fault),
    publishNow: (id) => one(id).publishNow(),
    publishRaw: (id, topic, payload) => one(id).publishRaw(topic, payload),
    counts: (id) => one(id).people.lines.map((l) => ({ in: l.in, out: l.out })),
    counters: (id) => ({ ...one(id).counters }),
    connected: (id) => one(id).connected,
    waitConnected: async (timeoutMs = 10_000) => {
      const until = Date.now() + timeoutMs;
      while ([...sensors.values()].some((s) => !s.connected)) {
        if (Date.now() > until) {
          const missing = [...sensors.values()].filter((s) => !s.connected).map((s) => s.spec.id);
          throw new Error(`sensors not connected after ${timeoutMs} ms: ${missing.join(', ')}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    stop: async () => {
      await Promise.all([...sensors.values()].map((s) => s.stop()));
    },
  };
}
