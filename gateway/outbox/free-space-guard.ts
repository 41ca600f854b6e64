import { statfsSync } from 'node:fs';
import type { Logger } from 'pino';
import { type Clock, monotonicMs } from '../core/clock.js';

/**
 * Watches the free space of the file system under the outbox. Below the minimum, new readings are
 * dropped before they are written, so the last space goes to events, acknowledgements and
 * checkpoints. statfs is asked at most every 250 ms; a change of state is logged once.
 */
export class FreeSpaceGuard {
  private checkedAt = Number.NEGATIVE_INFINITY; // monotonic ms
  private isLow = false;

  constructor(
    private readonly dir: string,
    private readonly minBytes: number,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  low(): boolean {
    const now = monotonicMs(this.clock);
    if (now - this.checkedAt < 250) return this.isLow;
    this.checkedAt = now;
    let free: number;
    try {
      const s = statfsSync(this.dir);
      free = s.bavail * s.bsize;
    } catch {
      return this.isLow;
    }
    const low = free < this.minBytes;
    if (low !== this.isLow) {
      this.isLow = low;
      if (low) this.log.error({ free, minBytes: this.minBytes, dir: this.dir }, 'disk nearly full: dropping new readings until space returns');
      else this.log.warn({ free, dir: this.dir }, 'disk space is back: accepting readings again');
    }
    return low;
  }
}
