import { type ModbusSimulator, type SimDeviceSpec, startModbusSimulator } from './modbus/simulator.js';
import { type MqttDemo, startMqttDemo } from './mqtt/demo.js';

/**
 * The simulated devices of config/demo.yaml, on the loopback ports that file names. Kept beside
 * the file on purpose: a port changed in one must be changed in the other (test/core/demo.test.ts
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

export interface DemoSite {
  modbus: ModbusSimulator;
  mqtt: MqttDemo;
  stop(): Promise<void>;
}

/** Starts the demo site's simulators. `portOffset` moves every port (two demos on one machine). */
export async function startDemoSite(options: { host?: string; portOffset?: number } = {}): Promise<DemoSite> {
  const offset = options.portOffset ?? 0;
  const modbus = await startModbusSimulator({
    host: options.host ?? '127.0.0.1',
    devices: DEMO_MODBUS_DEVICES.map((d) => ({ ...d, port: d.port === undefined ? undefined : d.port + offset })),
  });
  // The MQTT sensors connect to the gateway's own broker; they retry until the gateway listens.
  const mqtt = await startMqttDemo({ host: options.host ?? '127.0.0.1', port: DEMO_MQTT_PORT + offset });
  return {
    modbus,
    mqtt,
    stop: async () => {
      await mqtt.stop();
      await modbus.stop();
    },
  };
}
