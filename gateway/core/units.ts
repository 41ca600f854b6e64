/**
 * UCUM (case-sensitive) units the gateway knows and how to convert between them.
 * Each unit maps to a base unit of its dimension by `base = value * factor + offset`.
 * Curly-brace annotations (`{person}`, `{vehicle}`) are UCUM's dimensionless counts; the
 * contract uses them for counters, so any `{word}` is accepted and converts only to itself.
 */
interface UnitDef {
  dimension: string;
  factor: number;
  offset?: number;
}

const UNITS: Record<string, UnitDef> = {
  // temperature (base K)
  Cel: { dimension: 'temperature', factor: 1, offset: 273.15 },
  K: { dimension: 'temperature', factor: 1 },
  '[degF]': { dimension: 'temperature', factor: 5 / 9, offset: 273.15 - (32 * 5) / 9 },
  // ratio (base 1)
  '1': { dimension: 'ratio', factor: 1 },
  '%': { dimension: 'ratio', factor: 0.01 },
  '[ppm]': { dimension: 'ratio', factor: 1e-6 },
  // mass concentration (base ug/m3)
  'ug/m3': { dimension: 'mass-concentration', factor: 1 },
  'mg/m3': { dimension: 'mass-concentration', factor: 1000 },
  // sound level
  dB: { dimension: 'level', factor: 1 },
  // power (base W)
  W: { dimension: 'power', factor: 1 },
  kW: { dimension: 'power', factor: 1000 },
  MW: { dimension: 'power', factor: 1e6 },
  // energy (base W.h)
  'W.h': { dimension: 'energy', factor: 1 },
  'kW.h': { dimension: 'energy', factor: 1000 },
  'MW.h': { dimension: 'energy', factor: 1e6 },
  // electric
  V: { dimension: 'voltage', factor: 1 },
  kV: { dimension: 'voltage', factor: 1000 },
  mV: { dimension: 'voltage', factor: 0.001 },
  A: { dimension: 'current', factor: 1 },
  mA: { dimension: 'current', factor: 0.001 },
  Hz: { dimension: 'frequency', factor: 1 },
  // length (base m)
  m: { dimension: 'length', factor: 1 },
  cm: { dimension: 'length', factor: 0.01 },
  mm: { dimension: 'length', factor: 0.001 },
  km: { dimension: 'length', factor: 1000 },
  // speed (base m/s)
  'm/s': { dimension: 'speed', factor: 1 },
  'km/h': { dimension: 'speed', factor: 1000 / 3600 },
  // pressure (base Pa)
  Pa: { dimension: 'pressure', factor: 1 },
  hPa: { dimension: 'pressure', factor: 100 },
  kPa: { dimension: 'pressure', factor: 1000 },
  bar: { dimension: 'pressure', factor: 1e5 },
  // volume flow and volume
  'm3/h': { dimension: 'flow', factor: 1 },
  'L/s': { dimension: 'flow', factor: 3.6 },
  m3: { dimension: 'volume', factor: 1 },
  L: { dimension: 'volume', factor: 0.001 },
  // illuminance, time, rates
  lx: { dimension: 'illuminance', factor: 1 },
  s: { dimension: 'time', factor: 1 },
  ms: { dimension: 'time', factor: 0.001 },
  min: { dimension: 'time', factor: 60 },
  h: { dimension: 'time', factor: 3600 },
  '/min': { dimension: 'rate', factor: 1 / 60 },
  '/h': { dimension: 'rate', factor: 1 / 3600 },
  '{person}/min': { dimension: 'person-rate', factor: 1 },
  '{person}/h': { dimension: 'person-rate', factor: 1 / 60 },
};

const ANNOTATION = /^\{[A-Za-z][A-Za-z0-9_-]{0,30}\}$/;

/** True if the gateway knows this UCUM code. */
export function isKnownUnit(unit: string): boolean {
  return unit in UNITS || ANNOTATION.test(unit);
}

/** A few valid codes, for error messages. */
export const UNIT_EXAMPLES = ['Cel', '%', 'ug/m3', 'dB', 'kW', 'kW.h', 'V', 'A', 'm/s', '{person}'];

/** True if values in `from` can be converted to `to`. */
export function canConvert(from: string, to: string): boolean {
  if (from === to) return isKnownUnit(from);
  const a = UNITS[from];
  const b = UNITS[to];
  return a !== undefined && b !== undefined && a.dimension === b.dimension;
}

/**
 * A function converting values from one unit to another, or undefined when they do not convert.
 * Made once per point at configuration time so the hot path is one multiply-add.
 */
export function converter(from: string, to: string): ((value: number) => number) | undefined {
  if (from === to) return isKnownUnit(from) ? (v) => v : undefined;
  const a = UNITS[from];
  const b = UNITS[to];
  if (!a || !b || a.dimension !== b.dimension) return undefined;
  const scale = a.factor / b.factor;
  const shift = ((a.offset ?? 0) - (b.offset ?? 0)) / b.factor;
  return (v) => v * scale + shift;
}
