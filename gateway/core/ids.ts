import { monotonicFactory } from 'ulid';

/**
 * ULID source. Monotonic so that ids made in the same millisecond still sort in the order they
 * were made; the contract needs them unique per gateway for ever, which ULID's 80 random bits give.
 */
export type IdFactory = (timeMs?: number) => string;

export function createIdFactory(): IdFactory {
  return monotonicFactory();
}
