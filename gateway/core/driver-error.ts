import { type ErrorCode, GatewayError } from './errors.js';

/** What every driver error carries besides its code and message. */
export interface DriverErrorOptions {
  cause?: unknown;
  /**
   * Which device, request or endpoint it is about, in a technician's words and never with
   * credentials ("holding 101 on unit 3 @ 10.0.0.7:502", "cam-3 snapshot"). The message names it
   * too; this field is for logs and tests that want it alone.
   */
  where?: string;
}

/**
 * The one base of the drivers' error classes (ModbusError, OnvifError; the MQTT driver's
 * mqttError builds one): a GatewayError whose code is one of the driver's own catalogue (a
 * closed union, registered in ErrorCodeRegistry beside the driver's list), with `where` and a
 * kept `cause`. A driver adds only what its protocol has (a Modbus exception code, a SOAP fault).
 */
export class DriverError<C extends ErrorCode = ErrorCode> extends GatewayError {
  readonly where: string | undefined;

  constructor(
    override readonly code: C,
    message: string,
    options?: DriverErrorOptions,
  ) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.where = options?.where;
  }
}
