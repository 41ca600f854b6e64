export interface ThrottleOptions {
  /** Failures of one name from one address before waits begin. */
  freePerPair: number;
  /** Failures from one address (any names) before waits begin. */
  freePerAddress: number;
  /** Failures against one name from all addresses before its waits begin (for failing addresses only). */
  freePerSubject: number;
  /** First wait, doubling with each further failure, up to maxDelayMs (ms). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Failures are forgotten this long after the last one (ms). */
  forgetMs: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  freePerPair: 5,
  freePerAddress: 20,
  freePerSubject: 10,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
  forgetMs: 60 * 60_000,
};

interface Count {
  count: number;
  last: number;
}

/**
 * Slows password (and setup code) guessing without letting anyone lock a user out (issue 12,
 * finding 1: 50 wrong passwords for `admin` from one address used to lock the real admin out
 * everywhere). Failures are counted per (name, address), per address and per name:
 * - the (name, address) and address counts slow only that address;
 * - the per-name count slows only addresses that have themselves failed against that name
 *   recently, so a distributed guesser is slowed while the real user, typing the right
 *   password from a clean address, is never refused because of someone else's failures.
 * After the free failures each further one doubles the wait, up to `maxDelayMs`; nothing is
 * ever locked for good (a locked-out technician at 2 a.m. is an outage).
 *
 * Hand-written: @fastify/rate-limit counts requests per key, not failures, and cannot make one
 * key's limit depend on another's; it still caps the raw request rate of the login routes.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, Count>();

  constructor(
    private readonly o: ThrottleOptions = DEFAULT_THROTTLE,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Milliseconds this address must wait before trying `subject` (`user:NAME`, `setup`) again; 0 = go. */
  waitMs(subject: string, address: string): number {
    const t = this.now();
    const pair = this.live(pairKey(subject, address), t);
    let wait = Math.max(this.waitFor(pair, this.o.freePerPair, t), this.waitFor(this.live(addrKey(address), t), this.o.freePerAddress, t));
    if (pair) wait = Math.max(wait, this.waitFor(this.live(subjectKey(subject), t), this.o.freePerSubject, t));
    return Math.max(0, wait);
  }

  fail(subject: string, address: string): void {
    const t = this.now();
    for (const key of [pairKey(subject, address), addrKey(address), subjectKey(subject)]) {
      const f = this.live(key, t);
      this.failures.set(key, { count: (f?.count ?? 0) + 1, last: t });
    }
    if (this.failures.size > 10_000) for (const [k, f] of this.failures) if (t - f.last > this.o.forgetMs) this.failures.delete(k);
    // Still too many (a flood from many addresses): forget the oldest; the per-name count stays.
    if (this.failures.size > 50_000) for (const k of [...this.failures.keys()].slice(0, 10_000)) this.failures.delete(k);
  }

  /** A success from this address clears its record for the subject, and the subject's own count. */
  succeed(subject: string, address: string): void {
    this.failures.delete(pairKey(subject, address));
    this.failures.delete(subjectKey(subject));
  }

  private live(key: string, t: number): Count | undefined {
    const f = this.failures.get(key);
    if (f && t - f.last > this.o.forgetMs) {
      this.failures.delete(key);
      return undefined;
    }
    return f;
  }

  private waitFor(f: Count | undefined, free: number, t: number): number {
    if (!f || f.count < free) return 0;
    const delay = Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** Math.min(30, f.count - free));
    return f.last + delay - t;
  }
}

const pairKey = (subject: string, address: string) => `p\0${subject}\0${address}`;
const addrKey = (address: string) => `a\0${address}`;
const subjectKey = (subject: string) => `s\0${subject}`;
