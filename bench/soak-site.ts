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

/** Writes config/demo.yaml with every device port moved by `offset` into dir; its path. */
export function writeSiteConfig(root: string, dir: string, offset: number): string {
  const doc = parse(readFileSync(join(root, 'config/demo.yaml'), 'utf8')) as { devices: Array<Record<string, unknown>> };
  for (const d of doc.devices) {
    const c = d.connection as { port?: number } | undefined;
    if (c && typeof c.port === 'number') d.connection = { ...c, port: c.port + offset };
    if (typeof d.url === 'string') d.url = d.url.replace(/:(\d+)\//, (_, p: string) => `:${Number(p) + offset}/`);
  }
  const path = join(dir, 'soak-site.yaml');
  writeFileSync(path, stringify(doc, { aliasDuplicateObjects: false }));
  return path;
}
