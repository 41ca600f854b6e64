import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { MqttDeviceInput } from '../../drivers/mqtt/schema.js';
import { type MqttSensors, startMqttSensors } from './mqtt-sensors.js';
import { SHAPES, type SensorShape } from './payload-shapes.js';

/** The environment variable the demo devices read their password from. */
export const DEMO_PASSWORD_ENV = 'GRIDGATE_DEMO_MQTT_PASSWORD';

export interface MqttDemo {
  /** Where the gateway's embedded broker will listen. */
  host: string;
  port: number;
  /** Device entries for the gateway configuration (profiles by name, passwords by env reference). */
  devices: MqttDeviceInput[];
  sensors: MqttSensors;
  stop(): Promise<void>;
}

const DEMO_SENSORS: Array<{ id: string; shape: SensorShape; name: string; zone: string; topicId?: string; startCount?: number }> = [
  { id: 'env-cbd-02', shape: 'env-json', name: 'CBD square air and noise (MQTT)', zone: 'cbd-square' },
  { id: 'env-river-01', shape: 'env-array', name: 'Riverside air sensor (MQTT, Fahrenheit)', zone: 'riverside' },
  { id: 'pc-xovis-01', shape: 'xovis-live', name: 'CBD square north entrance (Xovis-like)', zone: 'cbd-square', topicId: '80-1F-12-AB-CD-EF' },
  { id: 'pc-xovis-02', shape: 'xovis-logic', name: 'Metro exit B (Xovis-like, interval counts)', zone: 'metro-b' },
  { id: 'pc-axis-01', shape: 'axis-counter', name: 'Mall door 1 (Axis-like)', zone: 'cbd-square', topicId: 'ACCC8E012345' },
  { id: 'occ-axis-01', shape: 'axis-occupancy', name: 'Underpass occupancy (Axis-like)', zone: 'east-underpass', topicId: 'ACCC8E054321' },
  // Starts near the top of its 16-bit counters so the demo shows a wrap within minutes.
  { id: 'pc-irisys-01', shape: 'irisys', name: 'Gate 3 thermal counter (Irisys-like)', zone: 'gate-3', startCount: 65_000 },
];

/**
 * The demo's MQTT site: seven sensors and people counters that publish to the gateway's
 * embedded broker, one per payload shape. The broker port is chosen free here (the gateway
 * listens on it once started; the sensors retry until then). The password is a random one put
 * in GRIDGATE_DEMO_MQTT_PASSWORD unless it is already set; the devices name that variable.
 */
export async function startMqttDemo(options: { host?: string; port?: number; intervalMs?: number } = {}): Promise<MqttDemo> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  process.env[DEMO_PASSWORD_ENV] ??= randomBytes(12).toString('base64url');
  const password = process.env[DEMO_PASSWORD_ENV]!;
  const connection = { mode: 'embedded' as const, host, port };
  const devices: MqttDeviceInput[] = DEMO_SENSORS.map((s) => ({
    id: s.id,
    name: s.name,
    kind: SHAPES[s.shape].kind,
    driver: 'mqtt',
    profile: SHAPES[s.shape].profile,
    zone: s.zone,
    connection,
    ...(s.topicId ? { topicId: s.topicId } : {}),
    auth: { password: { env: DEMO_PASSWORD_ENV } },
    offlineAfterMs: 30_000,
  }));
  const sensors = startMqttSensors({
    url: `mqtt://${host}:${port}`,
    sensors: DEMO_SENSORS.map((s) => ({
      id: s.id,
      shape: s.shape,
      password,
      topicId: s.topicId,
      startCount: s.startCount,
      intervalMs: options.intervalMs ?? 2000,
    })),
  });
  return { host, port, devices, sensors, stop: () => sensors.stop() };
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
