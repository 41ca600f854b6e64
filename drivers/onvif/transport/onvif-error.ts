import { type ErrorCode, GatewayError } from '../../../gateway/core/errors.js';
import { DriverError } from '../../../gateway/devices/driver-error.js';
import type { OnvifErrorCode } from '../error-codes.js';
import type { SoapFault } from '../soap/soap-fault.js';

/** An ONVIF driver error: one of the ONVIF codes and, for SOAP faults, the parsed fault. */
export class OnvifError extends DriverError<OnvifErrorCode> {
  readonly driver = 'onvif';
  constructor(code: OnvifErrorCode, message: string, options?: { cause?: unknown; fault?: SoapFault }) {
    super(code, message, options);
    this.fault = options?.fault;
  }
  readonly fault: SoapFault | undefined;
}

/** The ONVIF code of any error (wrapping foreign errors as E_ONVIF_UNREACHABLE would hide bugs: they stay E_DRIVER). */
export function codeOf(err: unknown): ErrorCode {
  return err instanceof GatewayError ? err.code : 'E_DRIVER';
}
