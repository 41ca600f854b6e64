import type { Logger } from 'pino';
import type { Clock } from '../../gateway/core/clock.js';

/**
 * At most one warning per interval (60 s) for one source, however fast a broken sensor sends:
 * the next line says how many were held back. A flood of bad messages costs a counter, not the
 * journal.
 */
export class RateLimitedLog {
  private lastAt = Number.NEGATIVE_INFINITY;
  private suppressed = 0;

  constructor(
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly intervalMs = 60_000,
  ) {}

  warn(fields: Record<string, unknown>, message: string): void {
    this.write('warn', fields, message);
  }

  info(fields: Record<string, unknown>, message: string): void {
    this.write('info', fields, message);
  }

  private write(level: 'warn' | 'info', fields: Record<string, unknown>, message: string): void {
    const now = this.clock.now();
    if (now - this.lastAt < this.intervalMs) {
      this.suppressed++;
      return;
    }
    this.lastAt = now;
    const held = this.suppressed;
    this.suppressed = 0;
    this.log[level](held > 0 ? { ...fields, suppressed: held, suppressedInMs: this.intervalMs } : fields, message);
  }
}
