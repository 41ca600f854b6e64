/**
 * The Modbus driver's error codes (a test keeps docs/modbus.md in step with this list).
 * Each GatewayError the driver raises carries one of them; `ERROR_KINDS` groups them for metrics.
 */
export const MODBUS_ERROR_CODES = {
  E_MODBUS_TIMEOUT: 'the device did not answer a request within timeoutMs',
  E_MODBUS_EXCEPTION: 'the device answered with a Modbus exception (code 1..11)',
  E_MODBUS_BAD_FRAME: 'the answer was garbled, short, failed its CRC or did not match the request',
  E_MODBUS_CONNECTION: 'the TCP connection or serial port could not be opened or was lost',
  E_MODBUS_DEVICE_OFFLINE: 'the device is offline (circuit breaker open); requests are not sent until it recovers',
  E_MODBUS_BAD_REQUEST: 'a request would break a protocol limit (quantity 1..125 registers / 1..2000 bits, address range)',
  E_MODBUS_BAD_WRITE: 'a write value does not fit the point (wrong type, out of the register range, not writable)',
  E_MODBUS_WRITE_MISMATCH: 'the read-back after a write did not return the written value',
  E_MODBUS_UNKNOWN_DEVICE: 'no Modbus device with that id was added to the driver',
  E_MODBUS_UNKNOWN_POINT: 'the device has no point with that name',
  E_MODBUS_STOPPED: 'the request was cancelled because the device was removed or the driver stopped',
} as const;

export type ModbusErrorCode = keyof typeof MODBUS_ERROR_CODES;

// Registers these codes in the gateway's closed ErrorCode union (gateway/core/errors.ts).
declare module '../../gateway/core/errors.js' {
  interface ErrorCodeRegistry extends Record<ModbusErrorCode, string> {}
}

/** Error kinds counted per device in stats(). */
export const ERROR_KINDS = ['timeout', 'exception', 'badFrame', 'connection', 'other'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export function errorKind(code: string): ErrorKind {
  switch (code) {
    case 'E_MODBUS_TIMEOUT':
      return 'timeout';
    case 'E_MODBUS_EXCEPTION':
      return 'exception';
    case 'E_MODBUS_BAD_FRAME':
      return 'badFrame';
    case 'E_MODBUS_CONNECTION':
      return 'connection';
    default:
      return 'other';
  }
}

/** Modbus app. protocol 7: exception codes and their names. */
export const EXCEPTION_NAMES: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};
