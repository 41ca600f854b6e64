/**
 * The web UI's error codes, sent as `{ error: { code, message } }` by its routes.
 * docs/errors.md lists them with the core's; test/core/error-catalogue.unit.test.ts keeps both in step.
 */
export const UI_ERROR_CODES = {
  E_UI_LOGIN_REQUIRED: 'no session, or the session ended (idle or too old)',
  E_UI_LOGIN_FAILED: 'wrong user name or password',
  E_UI_THROTTLED: 'too many failed logins from this address or for this user; wait and try again',
  E_UI_CSRF: 'the request did not come from this page (Origin) or its CSRF token is missing or wrong',
  E_UI_FORBIDDEN: "the user's role does not allow this",
  E_UI_SETUP_CODE: 'the first-run setup code is wrong or missing',
  E_UI_SETUP_DONE: 'the first administrator already exists; setup is closed',
  E_UI_INVALID: 'a field or the resulting configuration is not valid',
  E_UI_NOT_FOUND: 'no such device, configuration version or resource',
  E_UI_CONFIRM: 'a point write was sent without `confirm: true`',
  E_UI_WRITE_FAILED: 'a write to a device point failed with an error that has no code of its own',
  E_UI_READ_FAILED: 'reading a point back through the running driver failed, for a reason that has no code of its own',
  E_UI_DISCOVERY: 'the device discovery could not run',
  E_UI_SNAPSHOT: 'the camera picture could not be fetched, for a reason that has no code of its own',
} as const;

export type UiErrorCode = keyof typeof UI_ERROR_CODES;

// Registers these codes in the gateway's closed ErrorCode union (gateway/core/errors.ts).
declare module '../core/errors.js' {
  interface ErrorCodeRegistry extends Record<UiErrorCode, string> {}
}
