import { type ModbusSimulator, type SimDeviceSpec, startModbusSimulator } from './modbus/simulator.js';
import { randomBytes } from 'node:crypto';
import { type MqttDemo, startMqttDemo } from './mqtt/demo.js';
import { type CameraSet, startCameraSet } from './onvif/camera-set.js';
import { type RtspVideo, startRtspVideo } from './onvif/rtsp-video.js';
import type { ScenarioCameras } from './scenarios/new-year-eve.js';

/**
 * The simulated devices of config/demo.yaml, on the loopback ports that file names. Kept beside
 * the file on purpose: a port changed in one must be changed in the other (test/core/demo.unit.test.ts
 * starts both and checks every device comes online).
 */
export const DEMO_MODBUS_DEVICES: SimDeviceSpec[] = [
  { id: 'env-cbd-01', model: 'env-sensor', server: 'cbd-gateway', unitId: 1, port: 15020 },
  { id: 'meter-cbd-01', model: 'power-meter', server: 'cbd-gateway', unitId: 2, port: 15020 },
  { id: 'pc-cbd-01', model: 'people-counter', unitId: 1, port: 15021 },
  { id: 'wl-underpass-01', model: 'water-level', unitId: 1, port: 15022 },
  { id: 'pc-gate-02', model: 'rs485-people-counter', unitId: 5, transport: 'rtu-over-tcp', port: 15023 },
];

/** The gateway's embedded MQTT broker for the demo sensors (config/demo.yaml names the same port). */
export const DEMO_MQTT_PORT = 18831;

/** The 89 demo cameras listen on 18001..18089 (config/demo.yaml names the same ports). */
export const DEMO_CAMERA_BASE_PORT = 18000;
export const DEMO_CAMERAS = 89;
export const DEMO_CAMERA_PASSWORD_ENV = 'GRIDGATE_DEMO_CAMERA_PASSWORD';

/** Which demo cameras watch the CBD square (cam-001..cam-012 in config/demo.yaml). */
export const DEMO_SQUARE_CAMERAS = Array.from({ length: 12 }, (_, i) => `cam-${String(i + 1).padStart(3, '0')}`);

export interface DemoSite {
  modbus: ModbusSimulator;
  mqtt: MqttDemo;
  cameras: CameraSet;
  /** The live video's RTSP port, when GStreamer's RTSP server runs. */
  rtspPort?: number;
  stop(): Promise<void>;
}

/** Starts the demo site's simulators. `portOffset` moves every port (two demos on one machine). */
export async function startDemoSite(options: { host?: string; portOffset?: number; rtspPort?: number; say?: (line: string) => void } = {}): Promise<DemoSite> {
  const offset = options.portOffset ?? 0;
  const modbus = await startModbusSimulator({
    host: options.host ?? '127.0.0.1',
    devices: DEMO_MODBUS_DEVICES.map((d) => ({ ...d, port: d.port === undefined ? undefined : d.port + offset })),
  });
  // The MQTT sensors connect to the gateway's own broker; they retry until the gateway listens.
  const mqtt = await startMqttDemo({ host: options.host ?? '127.0.0.1', port: DEMO_MQTT_PORT + offset });
  // No default password, even in the demo: a random one per run, handed over in the environment.
  process.env[DEMO_CAMERA_PASSWORD_ENV] ??= randomBytes(12).toString('base64url');
  // Real video for the live view: one RTSP server the cameras' stream URIs point at.
  let video: RtspVideo | undefined;
  try {
    video = await startRtspVideo({
      host: options.host ?? '127.0.0.1',
      port: options.rtspPort ?? 0,
      username: 'gridgate',
      password: process.env[DEMO_CAMERA_PASSWORD_ENV]!,
      paths: ['/ch1/main', '/ch1/sub'],
    });
  } catch (err) {
    (options.say ?? ((line: string) => process.stderr.write(`${line}\n`)))(`gridgate demo: cameras without video: ${(err as Error).message}`);
  }
  const cameras = await startCameraSet({
    rtspPort: video?.port,
    host: options.host ?? '127.0.0.1',
    cameras: DEMO_CAMERAS,
    basePort: DEMO_CAMERA_BASE_PORT + 1 + offset,
    credentials: { username: 'gridgate', password: process.env[DEMO_CAMERA_PASSWORD_ENV]! },
    discovery: false,
  });
  // Background analytics of an ordinary evening: parking, floating objects, the odd tamper.
  cameras.scenario('illegal-parking-wave', { intervalMs: 20_000 });
  cameras.scenario('floating-objects', { intervalMs: 30_000 });
  cameras.scenario('tamper', { intervalMs: 120_000 });
  return {
    modbus,
    mqtt,
    cameras,
    rtspPort: video?.port,
    stop: async () => {
      await cameras.stop();
      await video?.stop();
      await mqtt.stop();
      await modbus.stop();
    },
  };
}

/** The New Year's Eve scenario's cameras: the square's cameras report density, and fireworks at midnight. */
export function squareCameras(set: CameraSet): ScenarioCameras {
  const density = { rising: 0.6, high: 0.85, 'very-high': 0.97 } as const;
  return {
    crowdDensity: (_zone, level) => {
      for (const id of DEMO_SQUARE_CAMERAS) set.emit(id, 'crowd-density', { density: density[level], count: Math.round(density[level] * 5000) });
    },
    fireworks: () => {
      for (const id of DEMO_SQUARE_CAMERAS.slice(0, 4)) set.emit(id, 'fireworks');
    },
  };
}
