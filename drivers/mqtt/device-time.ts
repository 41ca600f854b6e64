/**
 * A device's own time from its payload, in ms since the epoch. `auto` takes an ISO 8601 string
 * (extended format with a zone: `2026-11-27T01:02:03Z`, `...+08:00`) or a number: below 1e11 it
 * is epoch seconds (1e11 s is the year 5138), else epoch milliseconds (1e11 ms is 1973).
 */
export type TimeFormat = 'auto' | 'iso' | 'epoch-s' | 'epoch-ms';

const ISO = /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)$/;
/** Device clocks outside 2000..2100 are wrong (unset RTC at 1970, a typo), not a time. */
const MIN_MS = Date.UTC(2000, 0, 1);
const MAX_MS = Date.UTC(2100, 0, 1);

/** The time in ms, or a reason it is not one. */
export function parseDeviceTime(value: unknown, format: TimeFormat): number | string {
  let ms: number;
  if (typeof value === 'string' && format !== 'epoch-s' && format !== 'epoch-ms') {
    if (!ISO.test(value)) return `${JSON.stringify(value.slice(0, 40))} is not an ISO 8601 time with a zone`;
    ms = Date.parse(value.replace(' ', 'T'));
  } else if (typeof value === 'number' && format !== 'iso') {
    const seconds = format === 'epoch-s' || (format === 'auto' && Math.abs(value) < 1e11);
    ms = seconds ? value * 1000 : value;
  } else if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value)) {
    return parseDeviceTime(Number(value), format);
  } else {
    return `${JSON.stringify(value)?.slice(0, 40) ?? String(value)} is not a ${format === 'auto' ? 'time' : `${format} time`}`;
  }
  if (!Number.isFinite(ms)) return `${JSON.stringify(value)} is not a valid time`;
  if (ms < MIN_MS || ms > MAX_MS) return `${JSON.stringify(value)} is outside 2000..2100 (device clock not set?)`;
  return Math.round(ms);
}
