/**
 * The compressed day of the soak: a site's 24 hours (06:00 to 06:00 next day) mapped onto the
 * run. Two factors, both printed at start and written to summary.json:
 *  - the schedule: a happening at day hour h runs at (h - 6) / 24 of the run (a 2 h run: 1 day
 *    hour = 5 run minutes);
 *  - the durations (outages, flaps, noise bursts): nominal / compress. `--compress` defaults to 1
 *    (real durations, 30 s to 10 min) when the outages fit in 20 % of the run, else to the factor
 *    that makes them fit (a 6 min run: about 18, so 10 min → 33 s).
 */

export type Happening =
  | { kind: 'outage'; nominalS: number }
  | { kind: 'camera-flap'; nominalS: number; mode: 'unreachable' | 'offline' }
  | { kind: 'modbus-noise'; nominalS: number; device: string; fault: 'garbled' | 'short' | 'drop' }
  | { kind: 'ui-config'; interval: number }
  | { kind: 'surge'; nominalS: number }
  | { kind: 'kill-9'; nominalS: number }
  | { kind: 'restart'; nominalS: number };

export interface Planned {
  /** Day hour (6..30) the happening is set at. */
  dayHour: number;
  /** Offset into the run, ms. */
  atMs: number;
  /** How long it lasts in the run, ms (0 for instant ones). */
  durationMs: number;
  what: Happening;
}

/** The site's day: hours since midnight (06:00 .. 30:00 = 06:00 next day) and what happens then. */
const DAY: Array<[number, Happening]> = [
  [7.0, { kind: 'modbus-noise', nominalS: 60, device: 'pc-gate-02', fault: 'garbled' }],
  [8.5, { kind: 'outage', nominalS: 30 }],
  [9.5, { kind: 'camera-flap', nominalS: 20, mode: 'unreachable' }],
  [10.0, { kind: 'ui-config', interval: 2000 }],
  [11.0, { kind: 'modbus-noise', nominalS: 90, device: 'env-cbd-01', fault: 'short' }],
  [12.5, { kind: 'outage', nominalS: 600 }],
  [14.0, { kind: 'camera-flap', nominalS: 45, mode: 'offline' }],
  [15.0, { kind: 'modbus-noise', nominalS: 60, device: 'wl-underpass-01', fault: 'drop' }],
  [16.0, { kind: 'outage', nominalS: 60 }],
  [17.0, { kind: 'ui-config', interval: 1000 }],
  [18.0, { kind: 'camera-flap', nominalS: 20, mode: 'unreachable' }],
  [19.0, { kind: 'modbus-noise', nominalS: 60, device: 'pc-cbd-01', fault: 'garbled' }],
  // New Year's Eve: the square fills from 20:00 to midnight (fireworks at the end of the climb).
  [20.0, { kind: 'surge', nominalS: 4 * 3600 }],
  [21.5, { kind: 'camera-flap', nominalS: 30, mode: 'unreachable' }],
  [22.5, { kind: 'outage', nominalS: 180 }],
  [23.5, { kind: 'modbus-noise', nominalS: 45, device: 'pc-gate-02', fault: 'short' }],
  [25.0, { kind: 'outage', nominalS: 120 }],
  // A power glitch at 02:00 (kill -9, back after a 20 s boot) and maintenance at 04:00 (SIGTERM, start).
  [26.0, { kind: 'kill-9', nominalS: 20 }],
  [27.0, { kind: 'camera-flap', nominalS: 60, mode: 'offline' }],
  [28.0, { kind: 'restart', nominalS: 20 }],
  [29.0, { kind: 'outage', nominalS: 300 }],
];

/** Outage time the day holds, nominal seconds. */
export const NOMINAL_OUTAGE_S = DAY.reduce((n, [, h]) => n + (h.kind === 'outage' ? h.nominalS : 0), 0);

/** The compress factor that makes the outages fill at most 20 % of a run of `runMs`. */
export function autoCompress(runMs: number): number {
  return Math.max(1, (NOMINAL_OUTAGE_S * 1000) / (0.2 * runMs));
}

/** The day laid out on a run of `runMs`, durations divided by `compress`; sorted by start. */
export function planDay(runMs: number, compress: number): Planned[] {
  return DAY.map(([dayHour, what]) => {
    const atMs = Math.round(((dayHour - 6) / 24) * runMs);
    // The surge's climb is part of the day's shape (20:00 → midnight), so it follows the schedule.
    const durationMs =
      what.kind === 'ui-config'
        ? 0
        : what.kind === 'surge'
          ? Math.round((what.nominalS / 86_400) * runMs)
          : Math.max(1000, Math.round((what.nominalS * 1000) / compress));
    return { dayHour, atMs, durationMs, what };
  }).sort((a, b) => a.atMs - b.atMs);
}

/** "14:30" for a day hour. */
export function clock(dayHour: number): string {
  const h = Math.floor(dayHour) % 24;
  const m = Math.round((dayHour % 1) * 60);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}
