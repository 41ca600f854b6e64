import type { Clock } from '../../../gateway/core/clock.js';

/**
 * Our estimate of (camera clock − local clock). ONVIF Core §5.12.2 requires the UsernameToken's
 * Created to be near the device's time; cameras with no NTP drift by minutes, so every token
 * is stamped with local time + this offset, refreshed by GetSystemDateAndTime (PRE_AUTH).
 */
export class ClockOffset {
  private offsetMs = 0;
  private measuredAt: number | undefined;
  private uncertaintyMs = Number.POSITIVE_INFINITY;

  constructor(private readonly clock: Clock) {}

  /** The camera's time now, as best we know. */
  deviceNow(): number {
    return this.clock.now() + this.offsetMs;
  }

  get offset(): number {
    return this.offsetMs;
  }

  get lastMeasured(): number | undefined {
    return this.measuredAt;
  }

  /** ± ms of the current estimate. */
  get uncertainty(): number {
    return this.uncertaintyMs;
  }

  /**
   * Records a reading of the camera clock taken between `sentAt` and `receivedAt` (local wall ms),
   * `resolutionMs` the reading's own granularity (1000 for whole-second tt:DateTime, 0 for ms).
   * A coarser reading that agrees with a recent finer one (within its own error) keeps the finer
   * one: the 15-min GetSystemDateAndTime must not undo the ms from PullMessages answers.
   */
  update(deviceMs: number, sentAt: number, receivedAt: number, resolutionMs = 0): void {
    // The answer was produced somewhere in the round trip; the midpoint halves the error. A
    // whole-second reading lies in [s, s + 1 s): its midpoint is s + 500 ms.
    const offset = Math.round(deviceMs + resolutionMs / 2 - (sentAt + receivedAt) / 2);
    const uncertainty = (receivedAt - sentAt) / 2 + resolutionMs / 2;
    const recent = this.measuredAt !== undefined && receivedAt - this.measuredAt < FINE_READING_TRUST_MS;
    if (recent && this.uncertaintyMs < uncertainty && Math.abs(offset - this.offsetMs) <= uncertainty + this.uncertaintyMs) return;
    this.offsetMs = offset;
    this.uncertaintyMs = uncertainty;
    this.measuredAt = receivedAt;
  }
}

/** How long a fine (ms) reading outranks coarser ones that agree with it: camera clocks drift ~1 s/day. */
const FINE_READING_TRUST_MS = 3_600_000;
