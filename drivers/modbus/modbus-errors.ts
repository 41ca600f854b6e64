import { DriverError, type DriverErrorOptions } from '../../gateway/core/driver-error.js';
import { EXCEPTION_NAMES, type ModbusErrorCode } from './error-codes.js';

/** A Modbus driver error: a DriverError with one of our codes and, for exceptions, the Modbus exception code. */
export class ModbusError extends DriverError<ModbusErrorCode> {
  readonly exceptionCode: number | undefined;

  constructor(code: ModbusErrorCode, message: string, options?: DriverErrorOptions & { exceptionCode?: number }) {
    super(code, message, options);
    this.exceptionCode = options?.exceptionCode;
  }
}

/**
 * The one place where whatever modbus-serial (or the socket) threw becomes a ModbusError.
 * modbus-serial's traps (shared/DEPENDENCIES.md): a timeout is a plain object
 * `{ name: 'TransactionTimedOutError' }`, not an Error; an exception is an Error with
 * `.modbusCode`; CRC and length problems are plain Errors with a message only.
 * `where` is "holding 101 on unit 3 @ 10.0.0.7:502".
 */
export function normaliseError(err: unknown, where: string, timeoutMs: number): ModbusError {
  if (err instanceof ModbusError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    name?: unknown;
    message?: unknown;
    modbusCode?: unknown;
    code?: unknown;
    errno?: unknown;
  };
  if (e.name === 'TransactionTimedOutError' || e.errno === 'ETIMEDOUT') {
    return new ModbusError('E_MODBUS_TIMEOUT', `no answer in ${timeoutMs} ms from ${where}`, { cause: err, where });
  }
  if (typeof e.modbusCode === 'number') {
    const name = EXCEPTION_NAMES[e.modbusCode] ?? 'unknown exception';
    return new ModbusError('E_MODBUS_EXCEPTION', `modbus exception ${e.modbusCode} (${name}) at ${where}`, { cause: err, where, exceptionCode: e.modbusCode });
  }
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (/CRC|length|Unexpected data|Data length|byte count/i.test(message)) {
    return new ModbusError('E_MODBUS_BAD_FRAME', `garbled answer (${message}) from ${where}`, { cause: err, where });
  }
  if (typeof e.code === 'string' || /Port Not Open|closed|ECONN|EPIPE|socket|connect/i.test(message) || e.name === 'PortNotOpenError') {
    const detail = typeof e.code === 'string' && !message.includes(e.code) ? `${message}, ${e.code}` : message;
    return new ModbusError('E_MODBUS_CONNECTION', `connection problem (${detail}) at ${where}`, { cause: err, where });
  }
  return new ModbusError('E_MODBUS_CONNECTION', `request failed (${message}) at ${where}`, { cause: err, where });
}
