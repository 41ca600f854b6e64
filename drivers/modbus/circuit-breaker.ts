/**
 * A per-device circuit breaker. After `failCycles` consecutive poll cycles without any answer the
 * device is offline: cycles are skipped except one probe per backoff period (doubling up to
 * `maxBackoffMs`), so a dead device costs its line at most one timeout per backoff.
 * Any answer (even a Modbus exception: the device is alive) closes it again.
 */
export class CircuitBreaker {
  private failures = 0;
  private open = false;
  private backoff: number;
  private probeAt = 0;

  constructor(
    private readonly failCycles: number,
    private readonly backoffMs: number,
    private readonly maxBackoffMs: number,
  ) {
    this.backoff = backoffMs;
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** True when a cycle may run now (closed, or open and a probe is due). */
  allows(now: number): boolean {
    return !this.open || now >= this.probeAt;
  }

  /** Records a cycle; returns the transition it caused, if any. */
  record(answered: boolean, now: number): 'opened' | 'closed' | undefined {
    if (answered) {
      this.failures = 0;
      this.backoff = this.backoffMs;
      if (this.open) {
        this.open = false;
        return 'closed';
      }
      return undefined;
    }
    this.failures++;
    if (this.open) {
      this.backoff = Math.min(this.backoff * 2, this.maxBackoffMs);
      this.probeAt = now + this.backoff;
      return undefined;
    }
    if (this.failures >= this.failCycles) {
      this.open = true;
      this.probeAt = now + this.backoff;
      return 'opened';
    }
    return undefined;
  }
}
