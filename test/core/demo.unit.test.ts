import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../gateway/config/load-config.js';
import { DEMO_MODBUS_DEVICES, DEMO_MQTT_PORT } from '../../simulators/demo-site.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

describe('the demo site', () => {
  afterAll(() => {});
  it('config/demo.yaml and simulators/demo-site.ts agree on every simulated Modbus device and port', () => {
    const loaded = loadConfigFile(resolve(ROOT, 'config/demo.yaml'), {});
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    const modbus = loaded.loaded.config.devices.filter((d) => d.driver === 'modbus');
    expect(modbus.map((d) => d.id).sort()).toEqual(DEMO_MODBUS_DEVICES.map((d) => d.id).sort());
    for (const d of modbus) {
      const sim = DEMO_MODBUS_DEVICES.find((s) => s.id === d.id)!;
      expect((d as { connection: { port: number } }).connection.port, d.id).toBe(sim.port);
      expect((d as { unitId: number }).unitId, d.id).toBe(sim.unitId ?? 1);
    }
    const mqtt = loaded.loaded.config.devices.filter((d) => d.driver === 'mqtt');
    expect(mqtt.length).toBe(7);
    for (const d of mqtt) expect((d as { connection: { port: number } }).connection.port, d.id).toBe(DEMO_MQTT_PORT);
  });
});
