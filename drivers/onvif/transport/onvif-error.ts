import { DriverError, type DriverErrorOptions } from '../../../gateway/core/driver-error.js';
import { type ErrorCode, GatewayError } from '../../../gateway/core/errors.js';
import type { OnvifErrorCode } from '../error-codes.js';
import type { SoapFault } from '../soap/soap-fault.js';

/** An ONVIF driver error: a DriverError with one of the ONVIF codes and, for SOAP faults, the parsed fault. */
export class OnvifError extends DriverError<OnvifErrorCode> {
  readonly fault: SoapFault | undefined;

  constructor(code: OnvifErrorCode, message: string, options?: DriverErrorOptions & { fault?: SoapFault }) {
    super(code, message, options);
    this.fault = options?.fault;
  }
}

/** The ONVIF code of any error (wrapping foreign errors as E_ONVIF_UNREACHABLE would hide bugs: they stay E_DRIVER). */
export function codeOf(err: unknown): ErrorCode {
  return err instanceof GatewayError ? err.code : 'E_DRIVER';
}
