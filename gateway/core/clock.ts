/** Time source, injected so tests can move it; production uses the system clock. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** RFC 3339 UTC with milliseconds, as the contract requires (`2024-01-01T10:00:00.000Z`). */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** A clock a test sets by hand. */
export class ManualClock implements Clock {
  constructor(private ms: number) {}
  now(): number {
    return this.ms;
  }
  set(ms: number): void {
    this.ms = ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}
