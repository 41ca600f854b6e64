import { createHash, randomBytes } from 'node:crypto';
import { xmlEscape } from '../xml/xml-escape.js';
import { BASE64_ENCODING_TYPE, NS, PASSWORD_DIGEST_TYPE } from './namespaces.js';

/**
 * WS-Security UsernameToken Profile 1.0 §3.1 (as required by ONVIF Core §5.12.2):
 * PasswordDigest = Base64(SHA-1(nonce + created + password)), with `nonce` the raw bytes.
 */
export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1')
    .update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')]))
    .digest('base64');
}

/**
 * The wsse:Security header for one request. `deviceNowMs` is our estimate of the camera's
 * clock (local time + tracked offset): cameras reject a Created outside their window.
 */
export function usernameTokenHeader(username: string, password: string, deviceNowMs: number): string {
  const nonce = randomBytes(16);
  // UsernameToken Profile §3.1: Created is xsd:dateTime in UTC; whole seconds is what most cameras expect.
  const created = new Date(Math.floor(deviceNowMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return (
    `<wsse:Security s:mustUnderstand="1" xmlns:wsse="${NS.wsse}" xmlns:wsu="${NS.wsu}">` +
    `<wsse:UsernameToken><wsse:Username>${xmlEscape(username)}</wsse:Username>` +
    `<wsse:Password Type="${PASSWORD_DIGEST_TYPE}">${passwordDigest(nonce, created, password)}</wsse:Password>` +
    `<wsse:Nonce EncodingType="${BASE64_ENCODING_TYPE}">${nonce.toString('base64')}</wsse:Nonce>` +
    `<wsu:Created>${created}</wsu:Created></wsse:UsernameToken></wsse:Security>`
  );
}
