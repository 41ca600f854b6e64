import { createServer, type Server, type Socket } from 'node:net';
import { SerialPort } from 'serialport';
import { readModbusProfile } from '../../drivers/modbus/profile-file.js';
import { resolvePoint } from '../../drivers/modbus/resolved-point.js';
import { DEVICE_MODELS, type ModelName } from './device-models.js';
import type { Faults } from './faults.js';
import { SimulatedDevice } from './simulated-device.js';
import { type Framing, serveStream } from './stream-framing.js';

/*
 * Why not modbus-serial's ServerTCP: it answers ~800 requests/s (a setTimeout(0) per request),
 * which would make the simulator, not the driver, the bottleneck of bench/modbus.ts; it drops
 * unknown units without a hook, and it cannot send garbled or short frames. MBAP and RTU
 * framing are a few dozen lines (stream-framing.ts), so the simulator speaks them itself on `net`
 * and serialport.
 */

export interface SimDeviceSpec {
  id: string;
  model: ModelName;
  unitId?: number;
  /** Devices naming the same server share its port (several unit ids). Default: the device id. */
  server?: string;
  /** How the server frames requests; a server takes its first device's transport. */
  transport?: 'tcp' | 'rtu-over-tcp' | 'rtu';
  /** TCP port (0 = any free port). */
  port?: number;
  /** For transport rtu: the serial device (one end of a socat pty pair) the simulator opens. */
  path?: string;
  faults?: Faults;
  seed?: number;
}

export interface SimulatorOptions {
  host?: string;
  devices: SimDeviceSpec[];
  /** Where the profiles are (default: config/profiles of this checkout). */
  profileDir?: string;
}

export interface ModbusSimulator {
  /** The TCP port of each device's server, by device id (absent for serial devices). */
  ports: Record<string, number>;
  host: string;
  device(id: string): SimulatedDevice;
  /** Total requests answered or swallowed, over all devices. */
  requests(): number;
  stop(): Promise<void>;
}

interface RunningServer {
  close(): Promise<void>;
}

/** Starts simulated Modbus devices on TCP ports (Modbus TCP or RTU over TCP) and serial ptys. */
export async function startModbusSimulator(options: SimulatorOptions): Promise<ModbusSimulator> {
  const host = options.host ?? '127.0.0.1';
  const devices = new Map<string, SimulatedDevice>();
  const byServer = new Map<string, { spec: SimDeviceSpec; units: Map<number, SimulatedDevice> }>();
  const now = Date.now();
  let seed = 1;
  for (const spec of options.devices) {
    const model = DEVICE_MODELS[spec.model];
    if (!model) throw new Error(`unknown simulator model "${spec.model}" (known: ${Object.keys(DEVICE_MODELS).join(', ')})`);
    const profile = await readModbusProfile(model.profile, options.profileDir);
    const points = profile.points.map((p) => ({ resolved: resolvePoint(p), scale: p.scale, offset: p.offset }));
    const unitId = spec.unitId ?? 1;
    const device = new SimulatedDevice(spec.id, unitId, points, model, spec.seed ?? seed++);
    device.init(now);
    if (spec.faults) device.setFaults(spec.faults);
    if (devices.has(spec.id)) throw new Error(`simulated device id "${spec.id}" is used twice`);
    devices.set(spec.id, device);
    const key = spec.server ?? spec.id;
    const server = byServer.get(key) ?? { spec, units: new Map() };
    if (server.units.has(unitId)) throw new Error(`server ${key} already has unit ${unitId}`);
    server.units.set(unitId, device);
    byServer.set(key, server);
  }

  const running: RunningServer[] = [];
  const ports: Record<string, number> = {};
  try {
    for (const { spec, units } of byServer.values()) {
      const lookup = (unit: number) => units.get(unit);
      if (spec.transport === 'rtu') {
        if (!spec.path) throw new Error(`device ${spec.id}: transport rtu needs a path (a pty)`);
        running.push(await serveSerial(spec.path, lookup));
        continue;
      }
      const framing: Framing = spec.transport === 'rtu-over-tcp' ? 'rtu' : 'mbap';
      const { port, close } = await serveTcp(host, spec.port ?? 0, framing, lookup);
      running.push({ close });
      for (const d of units.values()) ports[d.id] = port;
    }
  } catch (err) {
    await Promise.all(running.map((r) => r.close()));
    throw err;
  }

  return {
    ports,
    host,
    device(id) {
      const d = devices.get(id);
      if (!d) throw new Error(`no simulated device "${id}"`);
      return d;
    },
    requests: () => [...devices.values()].reduce((n, d) => n + d.requests, 0),
    async stop() {
      await Promise.all(running.map((r) => r.close()));
    },
  };
}

async function serveTcp(
  host: string,
  port: number,
  framing: Framing,
  lookup: (unit: number) => SimulatedDevice | undefined,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    serveStream(socket, framing, lookup, true);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return {
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        // server.close() waits for open connections: end them first.
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

async function serveSerial(path: string, lookup: (unit: number) => SimulatedDevice | undefined): Promise<RunningServer> {
  const port = new SerialPort({ path, baudRate: 115_200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  serveStream(port, 'rtu', lookup, false);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      }),
  };
}
