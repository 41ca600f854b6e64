import type { Severity } from '../../../gateway/core/model.js';

/** A token bucket on a monotonic clock: `burst` at once, then one per `intervalMs`. */
class Bucket {
  private tokens: number;
  private refilledAt: number;
  constructor(
    private readonly burst: number,
    private readonly intervalMs: number,
    now: number,
  ) {
    this.tokens = burst;
    this.refilledAt = now;
  }
  level(now: number): number {
    this.tokens = Math.min(this.burst, this.tokens + (now - this.refilledAt) / this.intervalMs);
    this.refilledAt = now;
    return this.tokens;
  }
  take(): void {
    this.tokens -= 1;
  }
}

export interface SnapshotBudgetOptions {
  /** Per channel: at most `burst` pictures at once, then one per `minIntervalMs`. */
  burst: number;
  minIntervalMs: number;
  /** Whole device (an NVR's CPU and uplink): at most `deviceBurst` at once, then one per `deviceIntervalMs`. */
  deviceBurst: number;
  deviceIntervalMs: number;
  /** Share of the device bucket only `critical`/`major` events may use (0..1). */
  reserve: number;
  now?: () => number;
}

/**
 * Who gets an event picture. One bucket per channel, so a burst on 89 NVR channels gets a picture
 * per channel instead of 3 for the whole NVR (issue 11), under a device-wide cap sized for what
 * the NVR can serve; the last `reserve` of the device bucket is kept for `critical` and `major`
 * events, so they get pictures first when a storm of minor ones runs the budget down.
 */
export class SnapshotBudget {
  private readonly channels = new Map<number, Bucket>();
  private readonly device: Bucket;
  private readonly now: () => number;

  constructor(private readonly o: SnapshotBudgetOptions) {
    this.now = o.now ?? (() => performance.now());
    this.device = new Bucket(o.deviceBurst, o.deviceIntervalMs, this.now());
  }

  /** Takes a picture token for `channel` (0 = unknown channel); false, with why, when over budget. */
  tryAcquire(channel: number, severity: Severity | undefined): true | 'channel' | 'device' {
    const now = this.now();
    let ch = this.channels.get(channel);
    if (!ch) {
      ch = new Bucket(this.o.burst, this.o.minIntervalMs, now);
      // Bounded by the device's channels; a hostile channel number cannot grow it past 1024.
      if (this.channels.size < 1024) this.channels.set(channel, ch);
    }
    if (ch.level(now) < 1) return 'channel';
    const urgent = severity === 'critical' || severity === 'major';
    const floor = urgent ? 1 : 1 + this.o.deviceBurst * this.o.reserve;
    if (this.device.level(now) < floor) return 'device';
    ch.take();
    this.device.take();
    return true;
  }
}
