import { type ErrorCode, GatewayError } from '../core/errors.js';

/**
 * The base of every driver's error class (ModbusError, OnvifError): a GatewayError whose code is
 * narrowed to that driver's catalogue (drivers/<protocol>/error-codes.ts) and which says which
 * driver raised it. What the protocol itself reported (a Modbus exception code, a SOAP fault)
 * stays a typed field of the subclass.
 */
export abstract class DriverError<Code extends ErrorCode = ErrorCode> extends GatewayError {
  /** The driver module that raised it: the `driver` of the device's configuration. */
  abstract readonly driver: string;

  constructor(
    override readonly code: Code,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}
