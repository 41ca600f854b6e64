import { systemClock, type Clock } from '../../gateway/core/clock.js';
import { silentLogger } from '../../gateway/core/logger.js';
import type { Mode } from '../../gateway/core/model.js';
import type { DeviceStatusUpdate, DriverContext, DriverEvent, RawSample } from '../../gateway/devices/driver.js';

/** A DriverContext that records what a driver reports, for driver tests. */
export class RecordingContext implements DriverContext {
  readonly log = silentLogger();
  readonly recorded = {
    samples: [] as RawSample[],
    events: [] as DriverEvent[],
    statuses: [] as Array<{ device: string } & DeviceStatusUpdate>,
  };
  private currentMode: Mode = 'normal';
  private readonly modeListeners = new Set<(mode: Mode) => void>();
  private readonly waiters = new Set<() => void>();

  constructor(readonly clock: Clock = systemClock) {}

  samples(batch: RawSample[]): void {
    this.recorded.samples.push(...batch);
    this.wake();
  }
  event(event: DriverEvent): void {
    this.recorded.events.push(event);
    this.wake();
  }
  status(device: string, update: DeviceStatusUpdate): void {
    this.recorded.statuses.push({ device, ...update });
    this.wake();
  }
  mode(): Mode {
    return this.currentMode;
  }
  onModeChange(listener: (mode: Mode) => void): () => void {
    this.modeListeners.add(listener);
    return () => this.modeListeners.delete(listener);
  }
  setMode(mode: Mode): void {
    this.currentMode = mode;
    for (const l of this.modeListeners) l(mode);
  }
  /** The last status reported for a device. */
  lastStatus(device: string): DeviceStatusUpdate | undefined {
    return this.recorded.statuses.filter((s) => s.device === device).at(-1);
  }
  /** Resolves when `predicate` holds, checking after every report; rejects after `timeoutMs`. */
  async until(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    if (predicate()) return;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (predicate()) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }
  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
