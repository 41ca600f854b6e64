import { describe, expect, it } from 'vitest';
import { ModbusError, normaliseError } from '../../drivers/modbus/modbus-errors.js';
import { OnvifError } from '../../drivers/onvif/transport/onvif-error.js';
import { GatewayError } from '../../gateway/core/errors.js';
import { DriverError } from '../../gateway/devices/driver-error.js';

/** The driver error classes share one base (gateway/devices/driver-error.ts); each keeps what its protocol said. */
describe('driver errors', () => {
  it('are DriverErrors and GatewayErrors with their code, cause, driver and protocol detail', () => {
    const cause = { name: 'TransactionTimedOutError', errno: 'ETIMEDOUT' };
    const modbus = normaliseError(cause, 'holding 101 on unit 3 @ 10.0.0.7:502', 1000);
    const exception = new ModbusError('E_MODBUS_EXCEPTION', 'modbus exception 2 (illegal data address) at holding 101', { exceptionCode: 2 });
    const onvif = new OnvifError('E_ONVIF_FAULT', 'GetSnapshotUri refused', { fault: { code: 'Sender', subcodes: [], reason: 'no such profile' } });
    for (const err of [modbus, exception, onvif]) {
      expect(err).toBeInstanceOf(DriverError);
      expect(err).toBeInstanceOf(GatewayError);
      expect(err).toBeInstanceOf(Error);
    }
    expect(modbus).toMatchObject({ code: 'E_MODBUS_TIMEOUT', driver: 'modbus', cause, message: 'no answer in 1000 ms from holding 101 on unit 3 @ 10.0.0.7:502' });
    expect(exception).toMatchObject({ driver: 'modbus', exceptionCode: 2 });
    expect(onvif).toMatchObject({ code: 'E_ONVIF_FAULT', driver: 'onvif', fault: { reason: 'no such profile' } });
  });

  it('narrow the code to the driver catalogue (a foreign code does not compile)', () => {
    // @ts-expect-error: an ONVIF code is not a Modbus code
    const wrong = new ModbusError('E_ONVIF_FAULT', 'x');
    expect(wrong.code).toBe('E_ONVIF_FAULT');
  });
});
