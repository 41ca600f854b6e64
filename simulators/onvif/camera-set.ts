import { type AnalyticsArgs, type AnalyticsKind, raise } from './analytics.js';
import { startControlApi } from './control-api.js';
import { DiscoveryResponder } from './discovery-responder.js';
import { SimCamera, type SimCameraOptions } from './sim-camera.js';
import type { SimCredentials } from './sim-auth.js';
import type { SimFaults } from './sim-faults.js';
import { type RunningScenario, type ScenarioName, type ScenarioOptions, startScenario } from './scenarios.js';

export interface CameraSetOptions {
  host?: string;
  /** Single cameras, each on its own port (default 89). */
  cameras?: number;
  /** Add an NVR with this many channels (0 = none). */
  nvrChannels?: number;
  /** Camera i listens on basePort + i (0 = any free port each). */
  basePort?: number;
  credentials?: SimCredentials;
  soapAuth?: SimCameraOptions['soapAuth'];
  tokenWindowMs?: number;
  media2?: boolean;
  idPrefix?: string;
  maxPullPoints?: number;
  /** RTSP URIs carry user:password (some firmware does this). */
  streamCredentials?: boolean;
  /** The port the cameras' RTSP stream URIs name (default 554; the demo's live-video server). */
  rtspPort?: number;
  /** WS-Discovery responder; false = none. Port 0 in tests (unicast probes). */
  discovery?: false | { port?: number; multicastInterface?: string; maxDelayMs?: number };
  /** A JSON control API on this port (0 = any); undefined = none. */
  controlPort?: number;
}

export interface SimDeviceInfo {
  id: string;
  url: string;
  uuid: string;
  port: number;
  channels: number;
  kind: 'camera' | 'nvr';
}

export interface CameraSet {
  devices: SimDeviceInfo[];
  cameras: SimCamera[];
  discoveryPort?: number;
  controlUrl?: string;
  camera(id: string): SimCamera;
  emit(id: string, kind: AnalyticsKind, args?: AnalyticsArgs): void;
  /** `'*'` applies to every device. */
  setFaults(id: string, faults: Partial<SimFaults>): Promise<void>;
  killSubscriptions(id: string): number;
  scenario(name: ScenarioName, options?: ScenarioOptions): RunningScenario;
  stop(): Promise<void>;
}

/** Topic-namespace prefixes the cameras rotate through, so clients must resolve by namespace. */
const TOPIC_PREFIXES = ['tns1', 'ns1', 'onvif', 'tev1'];

/**
 * Starts a set of simulated ONVIF devices on `host` (127.0.0.1 by default): N cameras each on its
 * own port and/or an NVR with channels, an optional WS-Discovery responder and control API.
 */
export async function startCameraSet(options: CameraSetOptions = {}): Promise<CameraSet> {
  const host = options.host ?? '127.0.0.1';
  const credentials = options.credentials ?? { username: 'admin', password: 'admin' };
  const n = options.cameras ?? 89;
  const prefix = options.idPrefix ?? 'cam-';
  const common = (i: number): Omit<SimCameraOptions, 'id' | 'channels' | 'port'> => ({
    host,
    credentials,
    soapAuth: options.soapAuth ?? 'any',
    tokenWindowMs: options.tokenWindowMs ?? 30_000,
    topicPrefix: TOPIC_PREFIXES[i % TOPIC_PREFIXES.length]!,
    media2: options.media2 ?? true,
    manufacturer: 'Gridgate Sim',
    model: 'GS-IPC-2000',
    firmware: '1.4.2',
    rtspPort: options.rtspPort ?? 554,
    maxPullPoints: options.maxPullPoints ?? 10,
    streamCredentials: options.streamCredentials,
  });
  const cams: SimCamera[] = [];
  for (let i = 0; i < n; i++) {
    cams.push(
      new SimCamera({ ...common(i), id: `${prefix}${String(i + 1).padStart(3, '0')}`, channels: 1, port: options.basePort ? options.basePort + i : 0 }),
    );
  }
  if (options.nvrChannels) {
    cams.push(
      new SimCamera({ ...common(n), id: 'nvr-01', channels: options.nvrChannels, model: 'GS-NVR-64', port: options.basePort ? options.basePort + n : 0 }),
    );
  }
  const started: SimCamera[] = [];
  let responder: DiscoveryResponder | undefined;
  let control: Awaited<ReturnType<typeof startControlApi>> | undefined;
  const scenarios = new Set<RunningScenario>();
  const byId = new Map(cams.map((c) => [c.o.id, c]));
  const camera = (id: string) => {
    const c = byId.get(id);
    if (!c) throw new Error(`no simulated device ${id}`);
    return c;
  };
  const stop = async () => {
    for (const s of scenarios) s.stop();
    scenarios.clear();
    await control?.close();
    await responder?.stop();
    await Promise.all(started.map((c) => c.stop()));
  };
  try {
    for (const c of cams) {
      await c.start();
      started.push(c);
    }
    if (options.discovery !== false && options.discovery !== undefined) {
      responder = new DiscoveryResponder(
        { host, port: options.discovery.port ?? 0, multicastInterface: options.discovery.multicastInterface, maxDelayMs: options.discovery.maxDelayMs ?? 100 },
        () => cams,
      );
      await responder.start();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const set: CameraSet = {
    devices: cams.map((c) => ({ id: c.o.id, url: c.url, uuid: c.uuid, port: c.port, channels: c.o.channels, kind: c.o.channels > 1 ? 'nvr' : 'camera' })),
    cameras: cams,
    discoveryPort: responder?.port,
    camera,
    emit: (id, kind, args) => raise(camera(id), kind, args),
    setFaults: async (id, faults) => {
      await Promise.all((id === '*' ? cams : [camera(id)]).map((c) => c.setFaults(faults)));
    },
    killSubscriptions: (id) => (id === '*' ? cams : [camera(id)]).reduce((sum, c) => sum + c.killSubscriptions(), 0),
    scenario: (name, o) => {
      const s = startScenario(name, cams, o);
      scenarios.add(s);
      return {
        name,
        stop: () => {
          s.stop();
          scenarios.delete(s);
        },
      };
    },
    stop,
  };
  if (options.controlPort !== undefined) {
    control = await startControlApi(set, host, options.controlPort);
    set.controlUrl = control.url;
  }
  return set;
}
