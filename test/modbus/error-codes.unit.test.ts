import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { checkQuantity } from '../../drivers/modbus/device-link.js';
import { MODBUS_ERROR_CODES } from '../../drivers/modbus/error-codes.js';
import { normaliseError } from '../../drivers/modbus/modbus-errors.js';

describe('modbus error codes', () => {
  it('are all documented in docs/modbus.md, and nothing else is', async () => {
    const doc = await readFile(new URL('../../docs/modbus.md', import.meta.url), 'utf8');
    const documented = new Set(doc.match(/E_MODBUS_[A-Z_]+/g));
    expect([...documented].sort()).toEqual(Object.keys(MODBUS_ERROR_CODES).sort());
  });

  it('normalise what modbus-serial throws in one place', () => {
    const where = 'holding 101 on unit 3 @ 10.0.0.7:502';
    // modbus-serial's timeout is a plain object, not an Error
    expect(normaliseError({ name: 'TransactionTimedOutError', message: 'Timed out', errno: 'ETIMEDOUT' }, where, 1000)).toMatchObject({
      code: 'E_MODBUS_TIMEOUT',
      message: 'no answer in 1000 ms from holding 101 on unit 3 @ 10.0.0.7:502',
    });
    expect(normaliseError(Object.assign(new Error('Modbus exception 2'), { modbusCode: 2 }), where, 1000)).toMatchObject({
      code: 'E_MODBUS_EXCEPTION',
      exceptionCode: 2,
      message: 'modbus exception 2 (illegal data address) at holding 101 on unit 3 @ 10.0.0.7:502',
    });
    expect(normaliseError(new Error('CRC error'), where, 1000)).toMatchObject({ code: 'E_MODBUS_BAD_FRAME' });
    expect(normaliseError(Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:502'), { code: 'ECONNREFUSED' }), where, 1000)).toMatchObject({
      code: 'E_MODBUS_CONNECTION',
      message: 'connection problem (connect ECONNREFUSED 10.0.0.7:502) at holding 101 on unit 3 @ 10.0.0.7:502',
    });
  });

  it('check quantities before a request leaves (the library does not)', () => {
    expect(() => checkQuantity('holding-register', 0, 126, 'x')).toThrow(/cannot read 126 registers in one request \(1\.\.125\)/);
    expect(() => checkQuantity('coil', 0, 2001, 'x')).toThrow(/1\.\.2000/);
    expect(() => checkQuantity('input-register', 0, 0, 'x')).toThrow(/cannot read 0 registers/);
    expect(() => checkQuantity('input-register', 65_530, 10, 'x')).toThrow(/outside addresses 0\.\.65535/);
    expect(() => checkQuantity('input-register', 65_530, 6, 'x')).not.toThrow();
  });
});
