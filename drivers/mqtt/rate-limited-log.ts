import type { Logger } from 'pino';

/** How many kinds a limiter keeps apart; more is a bug (kinds are a fixed list), not data. */
const MAX_KINDS = 64;

/**
 * At most one line per interval (60 s) for each kind of problem (`fields.kind`) of one source,
 * however fast a broken sensor sends: a flood of bad payloads never uses up the line an ACL
 * denial or an untrusted time needs. The next line of the same kind says how many of that kind
 * were held back (`suppressed`). A flood costs a counter, not the journal. Runs on the monotonic
 * clock: a wall-clock step neither silences nor floods it.
 */
export class RateLimitedLog {
  private readonly kinds = new Map<string, { lastAt: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 60_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  warn(fields: Record<string, unknown> & { kind: string }, message: string): void {
    this.write('warn', fields, message);
  }

  info(fields: Record<string, unknown> & { kind: string }, message: string): void {
    this.write('info', fields, message);
  }

  private write(level: 'warn' | 'info', fields: Record<string, unknown> & { kind: string }, message: string): void {
    const now = this.now();
    let k = this.kinds.get(fields.kind);
    if (!k) {
      if (this.kinds.size >= MAX_KINDS) this.kinds.clear();
      k = { lastAt: Number.NEGATIVE_INFINITY, suppressed: 0 };
      this.kinds.set(fields.kind, k);
    }
    if (now - k.lastAt < this.intervalMs) {
      k.suppressed++;
      return;
    }
    k.lastAt = now;
    const held = k.suppressed;
    k.suppressed = 0;
    this.log[level](held > 0 ? { ...fields, suppressed: held, suppressedInMs: this.intervalMs } : fields, message);
  }
}
