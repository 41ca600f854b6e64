import modbusSerial from 'modbus-serial';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFault } from '../../simulators/modbus/cli.js';
import { startModbusSimulator, type ModbusSimulator } from '../../simulators/modbus/simulator.js';

const ModbusRTU = modbusSerial.default;

/** The simulator checked with an independent client (modbus-serial), not with our driver. */
describe('modbus simulator', () => {
  let sim: ModbusSimulator;
  const client = new ModbusRTU();

  beforeAll(async () => {
    sim = await startModbusSimulator({
      devices: [
        { id: 'a', model: 'power-meter', server: 's', unitId: 1 },
        { id: 'b', model: 'env-sensor', server: 's', unitId: 2 },
      ],
    });
    await client.connectTCP('127.0.0.1', { port: sim.ports.a! });
    client.setTimeout(500);
  });
  afterAll(async () => {
    await new Promise<void>((r) => client.close(() => r()));
    await sim.stop();
  });

  it('serves several unit ids on one port', async () => {
    client.setID(1);
    const pm = await client.readHoldingRegisters(0, 2);
    // voltage, float32 CDAB: low word first
    const volts = Buffer.from([pm.buffer[2]!, pm.buffer[3]!, pm.buffer[0]!, pm.buffer[1]!]).readFloatBE(0);
    expect(volts).toBeGreaterThan(221);
    client.setID(2);
    const env = await client.readInputRegisters(0, 6);
    expect(env.data).toHaveLength(6);
  });

  it('answers the protocol exceptions: 01 unknown function, 02 address, 03 quantity', async () => {
    client.setID(1);
    await expect(client.readHoldingRegisters(500, 1)).rejects.toMatchObject({ modbusCode: 2 });
    await expect(client.readHoldingRegisters(0, 126)).rejects.toMatchObject({ modbusCode: 3 });
    await expect(client.readHoldingRegisters(0, 0)).rejects.toMatchObject({ modbusCode: 3 });
    await expect(client.customFunction(0x2b, [0x0e, 0x01, 0x00])).rejects.toMatchObject({ modbusCode: 1 });
  });

  it('stores writes and holds written points still', async () => {
    client.setID(1);
    await client.writeRegisters(0, [0, 0x4348]); // 200.0 as float32 CDAB
    const back = await client.readHoldingRegisters(0, 2);
    expect(back.data).toEqual([0, 0x4348]);
    await client.writeCoil(0, false);
    expect((await client.readCoils(0, 1)).data[0]).toBe(false);
  });

  it('parses CLI faults and explains bad ones', () => {
    expect(parseFault('slow=500')).toEqual({ delayMs: 500 });
    expect(parseFault('hole=holding-register/6', { garbled: true })).toEqual({ garbled: true, holes: [{ table: 'holding-register', address: 6 }] });
    expect(() => parseFault('melt')).toThrow(/unknown fault "melt"/);
    expect(() => parseFault('slow=x')).toThrow(/slow=500/);
  });
});
