import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModbusSerialLink } from '../../drivers/modbus/modbus-link.js';
import { type PymodbusServer, startPymodbus } from './peers/pymodbus.js';

/**
 * modbus-serial keeps every finished transaction of a TCP connection (ids cycle through 256):
 * ~20 MB for 50 devices after 256 polls each. The link forgets each one once it is settled.
 * Against pymodbus (unit 7, holding 0..9), over more than 256 requests.
 */
describe('finished Modbus transactions are not kept', () => {
  let peer: PymodbusServer;
  let link: ModbusSerialLink;

  beforeAll(async () => {
    peer = await startPymodbus('tcp');
    link = new ModbusSerialLink({ transport: 'tcp', host: '127.0.0.1', port: peer.port });
  });
  afterAll(async () => {
    await link?.close();
    await peer?.stop();
  });

  const held = () => Object.keys((link as unknown as { client: { _transactions: Record<number, unknown> } }).client._transactions).length;

  it('holds no finished transaction after 300 reads, one at a time and four at once', async () => {
    const first = await link.readRegisters(7, 'holding-register', 0, 10, 3000);
    expect(first).toHaveLength(10);
    for (let i = 0; i < 150; i++) expect(await link.readRegisters(7, 'holding-register', 0, 10, 3000)).toEqual(first);
    expect(held()).toBe(0);
    for (let i = 0; i < 40; i++) {
      const answers = await Promise.all(Array.from({ length: 4 }, () => link.readRegisters(7, 'holding-register', 0, 10, 3000)));
      for (const a of answers) expect(a).toEqual(first);
    }
    expect(held()).toBe(0);
  });

  it('forgets a refused request too (exception 02), and the next read is answered', async () => {
    await expect(link.readRegisters(7, 'holding-register', 103, 1, 3000)).rejects.toMatchObject({ modbusCode: 2 });
    expect(held()).toBe(0);
    expect(await link.readRegisters(7, 'holding-register', 0, 10, 3000)).toHaveLength(10);
    expect(held()).toBe(0);
  });
});
