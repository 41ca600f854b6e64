/**
 * The demo site on ports of its own: config/demo.yaml names fixed loopback ports (Modbus
 * 15020-15023, MQTT 18831, cameras 18001-18089), which a demo or test running beside the soak
 * may hold. The soak moves them all by one offset (startDemoSite's portOffset) and writes the
 * matching copy of the configuration.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { startSimulatorProcess } from './modbus-sim-process.js';
import { DEMO_CAMERA_BASE_PORT, DEMO_CAMERAS, DEMO_MODBUS_DEVICES, DEMO_MQTT_PORT } from '../simulators/demo-site.js';

function demoPorts(offset: number): number[] {
  const modbus = [...new Set(DEMO_MODBUS_DEVICES.map((d) => d.port).filter((p): p is number => p !== undefined))];
  const cameras = Array.from({ length: DEMO_CAMERAS }, (_, i) => DEMO_CAMERA_BASE_PORT + 1 + i);
  return [...modbus, DEMO_MQTT_PORT, ...cameras].map((p) => p + offset);
}

function free(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** The first offset (0, 300, 600, ...) at which every port of the demo site is free. */
export async function freeOffset(): Promise<number> {
  for (let offset = 0; offset <= 3000; offset += 300) {
    const ports = demoPorts(offset);
    let ok = true;
    for (const p of ports) {
      if (!(await free(p))) {
        ok = false;
        break;
      }
    }
    if (ok) return offset;
  }
  throw new Error('no free set of ports for the demo site (tried offsets 0..3000)');
}

/** Writes config/demo.yaml with every device port moved by `offset`, plus `extra` devices, into dir; its path. */
export function writeSiteConfig(root: string, dir: string, offset: number, extra: Array<Record<string, unknown>> = []): string {
  const doc = parse(readFileSync(join(root, 'config/demo.yaml'), 'utf8')) as { devices: Array<Record<string, unknown>> };
  for (const d of doc.devices) {
    const c = d.connection as { port?: number } | undefined;
    if (c && typeof c.port === 'number') d.connection = { ...c, port: c.port + offset };
    if (typeof d.url === 'string') d.url = d.url.replace(/:(\d+)\//, (_, p: string) => `:${Number(p) + offset}/`);
  }
  doc.devices.push(...extra);
  const path = join(dir, 'soak-site.yaml');
  writeFileSync(path, stringify(doc, { aliasDuplicateObjects: false }));
  return path;
}

/** Points per device of the nominal load: the power-meter-3p profile has 100. */
const NOMINAL_PROFILE = 'power-meter-3p';

/**
 * The nominal site of issue 14 beside the demo site: `count` simulated three-phase meters
 * (config/profiles/power-meter-3p.yaml, 100 holding-register points each) on Modbus TCP, every
 * point polled each second. The simulator runs in a child process of its own.
 */
export async function startNominalLoad(count: number): Promise<{ devices: Array<Record<string, unknown>>; describe: string; stop: () => Promise<void> }> {
  const sim = await startSimulatorProcess([`${NOMINAL_PROFILE}:${count}`], count);
  const devices = sim.endpoints.map((e, i) => ({
    id: `nominal-meter-${String(i + 1).padStart(2, '0')}`,
    name: `nominal load meter ${i + 1}`,
    kind: 'modbus',
    driver: 'modbus',
    profile: NOMINAL_PROFILE,
    connection: { transport: 'tcp', host: '127.0.0.1', port: e.port },
    unitId: e.unit,
    intervalMs: 1000,
    // Every point each second, the profile's 60 s settings group included: 100 readings per poll.
    pollGroups: { default: { intervalMs: 1000 }, settings: { intervalMs: 1000 } },
  }));
  return {
    devices,
    describe: `the nominal load of issue 14 (${count} Modbus TCP devices × 100 points polled every 1 s = ${count * 100} points/s; the profile's deadbands on 35 of the 100 pass ~80 % as readings)`,
    stop: () => sim.stop(),
  };
}
