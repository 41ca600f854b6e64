import { describe, expect, it } from 'vitest';
import { ModbusError, normaliseError } from '../../drivers/modbus/modbus-errors.js';
import { mqttError } from '../../drivers/mqtt/error-codes.js';
import { codeOf, OnvifError } from '../../drivers/onvif/transport/onvif-error.js';
import { DriverError } from '../../gateway/core/driver-error.js';
import { errorCode, GatewayError } from '../../gateway/core/errors.js';

/** The drivers' errors share one base (gateway/core/driver-error.ts): code, message, where, cause. */
describe('driver errors on one base', () => {
  const cause = new Error('socket hang up');

  it('Modbus, ONVIF and MQTT errors are DriverErrors and GatewayErrors with code, where and cause', () => {
    const errors = [
      new ModbusError('E_MODBUS_EXCEPTION', 'modbus exception 2 at holding 9 on unit 3', { cause, where: 'holding 9 on unit 3', exceptionCode: 2 }),
      new OnvifError('E_ONVIF_AUTH', 'cam-1 refused the credentials (HTTP 401)', { cause, where: 'cam-1' }),
      mqttError('E_MQTT_PAYLOAD', 'counter-1: not JSON', cause),
    ];
    for (const err of errors) {
      expect(err).toBeInstanceOf(DriverError);
      expect(err).toBeInstanceOf(GatewayError);
      expect(err).toBeInstanceOf(Error);
      expect(err.cause).toBe(cause);
      expect(errorCode(err, 'E_INTERNAL')).toBe(err.code);
    }
    expect(errors.map((e) => [e.code, e.where])).toEqual([
      ['E_MODBUS_EXCEPTION', 'holding 9 on unit 3'],
      ['E_ONVIF_AUTH', 'cam-1'],
      ['E_MQTT_PAYLOAD', undefined],
    ]);
    expect((errors[0] as ModbusError).exceptionCode).toBe(2);
    expect(codeOf(errors[1])).toBe('E_ONVIF_AUTH');
    expect('cause' in new OnvifError('E_ONVIF_TIMEOUT', 'cam-1 did not answer in 10 ms')).toBe(false);
  });

  it('normaliseError keeps what modbus-serial threw as the cause and says where', () => {
    const timeout = { name: 'TransactionTimedOutError', errno: 'ETIMEDOUT' };
    const err = normaliseError(timeout, 'holding 101 on unit 3 @ 10.0.0.7:502', 1000);
    expect(err).toBeInstanceOf(DriverError);
    expect(err).toMatchObject({
      code: 'E_MODBUS_TIMEOUT',
      where: 'holding 101 on unit 3 @ 10.0.0.7:502',
      message: 'no answer in 1000 ms from holding 101 on unit 3 @ 10.0.0.7:502',
    });
    expect(err.cause).toBe(timeout);
    expect(normaliseError(err, 'elsewhere', 5)).toBe(err);
  });

  it('takes only codes of its own catalogue (compile time)', () => {
    // @ts-expect-error an ONVIF code is not a Modbus code
    const wrong = new ModbusError('E_ONVIF_AUTH', 'x');
    // @ts-expect-error a typo is not a code at all
    const typo = new DriverError('E_MODBUS_TIMEOUTT', 'x');
    expect([wrong.code, typo.code]).toEqual(['E_ONVIF_AUTH', 'E_MODBUS_TIMEOUTT']);
  });
});
