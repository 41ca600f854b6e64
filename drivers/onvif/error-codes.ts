/**
 * The ONVIF driver's error codes, each with one line a technician can act on. docs/onvif.md
 * lists the same codes; test/onvif/error-codes.unit.test.ts keeps the two in step.
 */
export const ONVIF_ERROR_CODES = {
  E_ONVIF_UNREACHABLE: 'the camera did not accept a connection or reset it (wrong address, camera down, network)',
  E_ONVIF_TIMEOUT: 'the camera accepted the request but did not answer within the configured time',
  E_ONVIF_AUTH: 'the camera refused the credentials (NotAuthorized fault or HTTP 401 after digest); check user, password and clock',
  E_ONVIF_XML: 'the camera answered with XML that is malformed, too large, or carries a DOCTYPE/entity (refused for safety)',
  E_ONVIF_TOO_LARGE: 'an answer or snapshot exceeded the configured size cap',
  E_ONVIF_FAULT: 'the camera answered with a SOAP fault other than NotAuthorized',
  E_ONVIF_HTTP: 'the camera answered with an unexpected HTTP status',
  E_ONVIF_PROTOCOL: 'the camera answered, but without an element ONVIF requires (no profiles, no subscription address...)',
  E_ONVIF_SUBSCRIPTION: 'the event subscription failed, expired or was dropped by the camera',
  E_ONVIF_SNAPSHOT: 'the snapshot could not be fetched or is not a JPEG',
  E_ONVIF_NO_CHANNEL: 'the requested channel does not exist on this camera or NVR',
  E_ONVIF_REGISTRY: 'the event registry file (config/onvif/event-registry.yaml) is invalid',
  E_ONVIF_DISCOVERY: 'WS-Discovery could not open a socket or send a probe',
  E_ONVIF_ABORTED: 'the operation was cancelled (device removed or driver stopping)',
} as const;

export type OnvifErrorCode = keyof typeof ONVIF_ERROR_CODES;

// Registers these codes in the gateway's closed ErrorCode union (gateway/core/errors.ts).
declare module '../../gateway/core/errors.js' {
  interface ErrorCodeRegistry extends Record<OnvifErrorCode, string> {}
}
