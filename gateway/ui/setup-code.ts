import { randomInt } from 'node:crypto';

/** Crockford base32 without I, L, O, U: nothing to misread on a phone at night. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A one-time code of 12 characters (60 bits), compared without its dashes. */
export function newSetupCode(): { code: string; display: string } {
  let code = '';
  for (let i = 0; i < 12; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return { code, display: code.match(/.{4}/g)!.join('-') };
}
