import { DriverError } from '../../gateway/core/driver-error.js';

/**
 * The MQTT driver's error codes (a test keeps docs/mqtt.md in step with this list). Each
 * GatewayError the driver raises or logs carries one of them.
 */
export const MQTT_ERROR_CODES = {
  E_MQTT_CONFIG:
    'device settings that cannot work together (same username twice, different tls on one port, a point without a topic, deltaOf naming no counter, unreadable certificate files)',
  E_MQTT_LISTEN: 'the embedded broker could not listen on its host and port (port in use, address not on this machine)',
  E_MQTT_CONNECTION: 'the connection to the site broker (client mode) failed or was lost',
  E_MQTT_AUTH: 'a sensor was refused by the embedded broker: anonymous, unknown username or wrong password',
  E_MQTT_ACL: 'a sensor published or subscribed outside the topics its device allows; the broker closed its connection',
  E_MQTT_PAYLOAD:
    'a message was rejected or a point in it was bad or flagged: not JSON, a duplicate key, not an object, over maxPayloadBytes, a JSON path missing, a value of the wrong type, a bad or untrusted device time, out of order, an implausible count',
  E_MQTT_UNKNOWN_TOPIC: 'a message arrived on a topic the device may use but no point maps',
  E_MQTT_UNKNOWN_DEVICE: 'no MQTT device with that id was added to the driver',
  E_MQTT_UNKNOWN_POINT: 'the device has no point with that name',
  E_MQTT_NO_VALUE: 'no message carrying the point has arrived yet',
  E_MQTT_STOPPED: 'the driver is not started or was stopped',
} as const;

export type MqttErrorCode = keyof typeof MQTT_ERROR_CODES;

// Registers these codes in the gateway's closed ErrorCode union (gateway/core/errors.ts).
declare module '../../gateway/core/errors.js' {
  interface ErrorCodeRegistry extends Record<MqttErrorCode, string> {}
}

/** A DriverError (gateway/core/driver-error.ts, the base of every driver's errors) with one of the MQTT codes. */
export function mqttError(code: MqttErrorCode, message: string, cause?: unknown): DriverError<MqttErrorCode> {
  return new DriverError(code, message, cause === undefined ? undefined : { cause });
}
