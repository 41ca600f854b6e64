/**
 * The error catalogue. Every error the gateway reports (logs, command results, device states)
 * carries one of these stable codes; the message says what and where in words a technician can
 * act on. docs/errors.md documents each code (a test keeps the two in step).
 */
export const ERROR_CODES = {
  E_CONFIG_READ: 'the configuration file could not be read or parsed',
  E_CONFIG_INVALID: 'the configuration does not match the schema',
  E_SECRET_UNAVAILABLE: 'a secret named by file or environment variable could not be read',
  E_PROFILE_INVALID: 'a device profile does not match its schema',
  E_PROFILE_UNKNOWN: 'a device names a profile that does not exist',
  E_OUTBOX_OPEN: 'the outbox database could not be opened',
  E_OUTBOX_CORRUPT: 'the outbox database was corrupt and has been moved aside',
  E_OUTBOX_DISK_FULL: 'the disk under the outbox is full',
  E_UPLINK: 'the platform connection failed',
  E_BAD_COMMAND: 'a command payload is not valid JSON or does not match command.schema.json',
  E_UNKNOWN_COMMAND: 'the command name is not one the gateway knows',
  E_BAD_ARGS: 'the command arguments are missing or wrong',
  E_EXPIRED: 'the command expiresAt had passed when it arrived',
  E_UNKNOWN_DEVICE: 'no device with that id is configured',
  E_UNKNOWN_POINT: 'the device has no point with that name',
  E_NOT_WRITABLE: 'the point is not writable or the value is out of its limits',
  E_UNSUPPORTED: 'the device driver does not support this operation',
  E_DEVICE_OFFLINE: 'the device is offline',
  E_DRIVER: 'a driver failed',
  E_INTERNAL: 'an unexpected error inside the gateway',
  E_LIVE_URL: 'a camera stream address live view refuses to open',
  E_LIVE_LIMIT: 'a live view limit is reached',
  E_HTTP_HOST: 'a request named a host this gateway does not answer to',
  E_HTTP_METRICS_AUTH: 'a metrics scrape without the token from beyond loopback',
  E_CONFIG_STALE: 'a remote configuration change was made from a version that is no longer the current one',
  E_CONFIG_BUSY: 'another configuration version is being applied',
  E_CONFIG_FAILED: 'a configuration version failed to apply and the previous one was applied again',
} as const;

/**
 * Every error code the gateway can raise: a closed union, so a mistyped code does not compile.
 * The core cannot import its drivers or the UI (imports run one way), so each catalogue outside
 * the core adds its codes to this registry by module augmentation, beside its own list:
 *   declare module '…/gateway/core/errors.js' { interface ErrorCodeRegistry extends Record<MyCode, string> {} }
 * (drivers/modbus/error-codes.ts, drivers/mqtt/error-codes.ts, drivers/onvif/error-codes.ts,
 * gateway/ui/error-codes.ts). test/core/error-catalogue.unit.test.ts checks every catalogue is in
 * docs/errors.md and every code literal in the sources is catalogued.
 */
export interface ErrorCodeRegistry extends Record<keyof typeof ERROR_CODES, string> {}

export type ErrorCode = keyof ErrorCodeRegistry;

/** An error with a stable code (for machines and the contract) and a kept cause. */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The code of a GatewayError, or `fallback` for anything else thrown (a socket's `ECONNREFUSED` is not one of ours). */
export function errorCode(err: unknown, fallback: ErrorCode): ErrorCode {
  return err instanceof GatewayError ? err.code : fallback;
}

/** Whatever was thrown, as a one-line message. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}
