import type { ModbusDeviceInput } from '../../drivers/modbus/schema.js';
import { type ModbusSimulator, startModbusSimulator } from './simulator.js';

export interface ModbusDemo {
  simulator: ModbusSimulator;
  /** Device entries for the gateway configuration, pointing at the simulator (profiles by name). */
  devices: ModbusDeviceInput[];
  stop(): Promise<void>;
}

/**
 * The demo's Modbus site: an env sensor and a power meter behind one Modbus TCP gateway (unit
 * ids 1 and 2 on one port), a people counter and a water-level gauge on ports of their own, and
 * an RS-485 people counter behind a serial device server (RTU over TCP).
 */
export async function startModbusDemo(options: { host?: string; intervalMs?: number } = {}): Promise<ModbusDemo> {
  const host = options.host ?? '127.0.0.1';
  const simulator = await startModbusSimulator({
    host,
    devices: [
      { id: 'env-cbd-01', model: 'env-sensor', server: 'tcp-gateway', unitId: 1 },
      { id: 'meter-cbd-01', model: 'power-meter', server: 'tcp-gateway', unitId: 2 },
      { id: 'pc-cbd-01', model: 'people-counter', unitId: 1 },
      { id: 'wl-underpass-01', model: 'water-level', unitId: 1 },
      { id: 'pc-gate-02', model: 'rs485-people-counter', unitId: 5, transport: 'rtu-over-tcp' },
    ],
  });
  const p = simulator.ports;
  const intervalMs = options.intervalMs ?? 1000;
  const tcp = (id: string) => ({ transport: 'tcp' as const, host, port: p[id]! });
  const devices: ModbusDeviceInput[] = [
    {
      id: 'env-cbd-01',
      name: 'CBD square environment sensor',
      kind: 'modbus',
      driver: 'modbus',
      profile: 'modbus-env-sensor',
      zone: 'cbd-square',
      connection: tcp('env-cbd-01'),
      unitId: 1,
      intervalMs,
    },
    {
      id: 'meter-cbd-01',
      name: 'CBD square lighting meter',
      kind: 'modbus',
      driver: 'modbus',
      profile: 'modbus-power-meter',
      zone: 'cbd-square',
      connection: tcp('meter-cbd-01'),
      unitId: 2,
      intervalMs,
    },
    {
      id: 'pc-cbd-01',
      name: 'CBD square entrance counter',
      kind: 'people-counter',
      driver: 'modbus',
      profile: 'modbus-people-counter',
      zone: 'cbd-square',
      connection: tcp('pc-cbd-01'),
      unitId: 1,
      intervalMs,
    },
    {
      id: 'wl-underpass-01',
      name: 'Underpass sump level',
      kind: 'modbus',
      driver: 'modbus',
      profile: 'modbus-water-level',
      zone: 'east-underpass',
      connection: tcp('wl-underpass-01'),
      unitId: 1,
      intervalMs,
    },
    {
      id: 'pc-gate-02',
      name: 'Gate 2 RS-485 counter',
      kind: 'people-counter',
      driver: 'modbus',
      profile: 'rs485-people-counter',
      zone: 'gate-2',
      connection: { transport: 'rtu-over-tcp', host, port: p['pc-gate-02']! },
      unitId: 5,
      intervalMs,
    },
  ];
  return { simulator, devices, stop: () => simulator.stop() };
}
