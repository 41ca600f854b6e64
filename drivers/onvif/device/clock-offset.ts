import type { Clock } from '../../../gateway/core/clock.js';

/**
 * Our estimate of (camera clock − local clock). ONVIF Core §5.12.2 requires the UsernameToken's
 * Created to be near the device's time; cameras with no NTP drift by minutes, so every token
 * is stamped with local time + this offset, refreshed by GetSystemDateAndTime (PRE_AUTH).
 */
export class ClockOffset {
  private offsetMs = 0;
  private measuredAt: number | undefined;

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

  /** Records a reading of the camera clock taken between `sentAt` and `receivedAt` (local ms). */
  update(deviceMs: number, sentAt: number, receivedAt: number): void {
    // The answer was produced somewhere in the round trip; the midpoint halves the error.
    this.offsetMs = Math.round(deviceMs - (sentAt + receivedAt) / 2);
    this.measuredAt = receivedAt;
  }
}
