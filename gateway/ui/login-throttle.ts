/**
 * Slows password guessing per user name and per client address, without ever locking an account
 * for good (a locked-out technician at 2 a.m. is an outage). After `free` failures each further
 * failure doubles the wait, up to `maxDelayMs`; failures are forgotten `forgetMs` after the last
 * one, and a success clears the user's count.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; last: number }>();

  constructor(
    private readonly o: { free: number; baseDelayMs: number; maxDelayMs: number; forgetMs: number } = { free: 5, baseDelayMs: 1000, maxDelayMs: 15 * 60_000, forgetMs: 60 * 60_000 },
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds to wait before another try is accepted for any of these keys (0 = go). */
  waitMs(keys: string[]): number {
    const t = this.now();
    let wait = 0;
    for (const key of keys) {
      const f = this.failures.get(key);
      if (!f) continue;
      if (t - f.last > this.o.forgetMs) {
        this.failures.delete(key);
        continue;
      }
      if (f.count < this.o.free) continue;
      const delay = Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** (f.count - this.o.free));
      wait = Math.max(wait, f.last + delay - t);
    }
    return Math.max(0, wait);
  }

  fail(keys: string[]): void {
    const t = this.now();
    for (const key of keys) {
      const f = this.failures.get(key);
      this.failures.set(key, { count: (f && t - f.last <= this.o.forgetMs ? f.count : 0) + 1, last: t });
    }
    if (this.failures.size > 10_000) for (const [k, f] of this.failures) if (t - f.last > this.o.forgetMs) this.failures.delete(k);
  }

  succeed(keys: string[]): void {
    for (const key of keys) this.failures.delete(key);
  }
}
