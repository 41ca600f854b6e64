import { randomBytes } from 'node:crypto';
import { encodeTime } from 'ulid';

/**
 * ULID source. Monotonic so that ids made in the same millisecond still sort in the order they
 * were made; the contract needs them unique per gateway for ever, which 80 random bits per
 * millisecond give.
 */
export type IdFactory = (timeMs?: number) => string;

/** Crockford base32, as ULID uses it. */
const ENC = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A monotonic ULID factory that costs one random draw per millisecond, not per id. ulid's
 * monotonicFactory re-encodes the 10 time characters and increments the 16 random characters
 * as a string at every call (6 % of the busy time at 50,000 readings/s); here the first 18
 * characters (time + 40 fresh random bits) are made once per millisecond and the last 8 count
 * up from a random 30-bit start (so a millisecond has 2^40 random bits plus an unguessable
 * start, and ~2^39 ids before the count could carry, far beyond any rate here). Hand-written
 * because no maintained library offers this; ulid is still used for the time encoding.
 * Like monotonicFactory, a time earlier than the last one keeps counting in the last millisecond.
 */
export function createIdFactory(): IdFactory {
  let lastMs = -1;
  let head = '';
  let counter = 0;
  let midKey = -1;
  let mid = '';
  return (timeMs = Date.now()) => {
    if (timeMs > lastMs) {
      lastMs = timeMs;
      const r = randomBytes(9);
      // 40 random bits as 8 characters of 5 bits.
      let bits = r.readUInt32BE(0) * 256 + r[4]!;
      let random = '';
      for (let i = 0; i < 8; i++) {
        random = ENC[bits % 32] + random;
        bits = Math.floor(bits / 32);
      }
      head = encodeTime(timeMs, 10) + random;
      counter = r.readUInt32BE(5) >>> 2;
      midKey = -1;
    } else {
      counter++;
    }
    // The last 8 characters: 7 change once per 32 ids, the last at every id.
    const key = Math.floor(counter / 32);
    if (key !== midKey) {
      midKey = key;
      let k = key;
      mid = '';
      for (let i = 0; i < 7; i++) {
        mid = ENC[k % 32] + mid;
        k = Math.floor(k / 32);
      }
    }
    return head + mid + ENC[counter % 32];
  };
}
