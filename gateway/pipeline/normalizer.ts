import type { Logger } from 'pino';
import type { BasePoint } from '../config/schema/point.js';
import { type Clock, formatTime, monotonicMs } from '../core/clock.js';
import type { IdFactory } from '../core/ids.js';
import type { Quality, Reading, ReadingValue } from '../core/model.js';
import type { RawSample } from '../devices/driver.js';
import { converter } from '../core/units.js';

interface CompiledPoint {
  unit: string | undefined;
  /** raw number → engineering value in `unit`. */
  transform: (raw: number) => number;
  deadband: number | undefined;
  maxSilenceMs: number;
  last?: { value: ReadingValue; quality: Quality; at: number };
}

/**
 * Where a driver's raw value becomes a contract reading: scale and offset, unit conversion,
 * rounding, deadband with a heartbeat, quality. Point transforms are compiled once per device
 * configuration so the hot path is a multiply-add and a comparison.
 */
export class Normalizer {
  private readonly devices = new Map<string, Map<string, CompiledPoint>>();
  /** The profile's own point definitions, per device, for points derived from them. */
  private readonly definitions = new Map<string, Map<string, BasePoint>>();
  private readonly warned = new Set<string>();
  private lastTs = Number.NaN;
  private lastTime = '';

  constructor(
    private readonly ids: IdFactory,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  setDevicePoints(deviceId: string, points: readonly BasePoint[]): void {
    const compiled = new Map<string, CompiledPoint>();
    for (const p of points) compiled.set(p.name, compilePoint(p));
    this.devices.set(deviceId, compiled);
    this.definitions.set(deviceId, new Map(points.map((p) => [p.name, p])));
  }

  /**
   * A point named after a profile point: an NVR channel's `ch3/people.in` is the profile's
   * `people.in`, and a per-rule counter `line.crossings/Line1/in` is `line.crossings`. Each gets its
   * own compiled copy (deadband and heartbeat state are per point), with the profile's unit.
   */
  private derived(device: string, name: string): CompiledPoint | undefined {
    const defs = this.definitions.get(device);
    if (!defs) return undefined;
    const bare = name.replace(/^ch\d{1,4}\//, '');
    const def = defs.get(bare) ?? defs.get(bare.split('/')[0]!);
    if (!def) return undefined;
    const compiled = compilePoint(def);
    this.devices.get(device)!.set(name, compiled);
    return compiled;
  }

  removeDevice(deviceId: string): void {
    this.devices.delete(deviceId);
    this.definitions.delete(deviceId);
  }

  /** The readings to send for these samples (a sample inside its deadband gives none). */
  normalize(samples: readonly RawSample[]): Reading[] {
    const out: Reading[] = [];
    const now = this.clock.now();
    const mono = monotonicMs(this.clock); // maxSilence is a duration: a wall step must not change it
    for (const s of samples) {
      const points = this.devices.get(s.device);
      if (!points) {
        this.warnOnce(`device:${s.device}`, { device: s.device }, 'sample from an unknown device dropped');
        continue;
      }
      let point = points.get(s.point) ?? this.derived(s.device, s.point);
      if (!point) {
        // Drivers such as MQTT may report points no profile lists: pass them through unscaled.
        point = { unit: undefined, transform: (v) => v, deadband: undefined, maxSilenceMs: 0 };
        points.set(s.point, point);
        this.warnOnce(`point:${s.device}/${s.point}`, { device: s.device, point: s.point }, 'point not in the profile: passed through unscaled');
      }
      const ts = Number.isFinite(s.ts) ? s.ts : now;
      const reading = this.toReading(s, point, ts);
      // Without a deadband every sample is sent and nothing is remembered: a `last` object per
      // reading lived one poll interval, long enough at 1 s polls to be promoted to the old generation.
      if (point.deadband !== undefined) {
        if (!this.due(point, reading, mono)) continue;
        point.last = { value: reading.value, quality: reading.quality, at: mono };
      }
      out.push(reading);
    }
    return out;
  }

  /** The reading a sample would give, without deadband state or sending (on-demand reads). */
  preview(sample: RawSample): Reading {
    const point = this.devices.get(sample.device)?.get(sample.point) ?? { unit: undefined, transform: (v: number) => v, deadband: undefined, maxSilenceMs: 0 };
    return this.toReading(sample, point, Number.isFinite(sample.ts) ? sample.ts : this.clock.now());
  }

  private toReading(s: RawSample, point: CompiledPoint, ts: number): Reading {
    // Object literals in contract field order, no spreads: this runs for every reading.
    const id = this.ids();
    const time = this.formatCached(ts);
    const unit = point.unit;
    // An uncertain sample may say why (a device time not trusted, a count not taken): it keeps its value.
    if (s.quality === 'bad' || (s.error !== undefined && s.quality !== 'uncertain') || s.raw === null) {
      const error = (s.error ?? 'no value').slice(0, 500);
      return unit
        ? { id, device: s.device, point: s.point, ts: time, value: null, unit, quality: 'bad', error }
        : { id, device: s.device, point: s.point, ts: time, value: null, quality: 'bad', error };
    }
    let value: ReadingValue = s.raw;
    if (typeof value === 'number') {
      value = point.transform(value);
      if (!Number.isFinite(value)) {
        const error = `value ${String(s.raw)} is not a finite number`;
        return unit
          ? { id, device: s.device, point: s.point, ts: time, value: null, unit, quality: 'bad', error }
          : { id, device: s.device, point: s.point, ts: time, value: null, quality: 'bad', error };
      }
    }
    const quality = s.quality ?? 'good';
    if (s.error !== undefined) {
      const error = s.error.slice(0, 500);
      return unit
        ? { id, device: s.device, point: s.point, ts: time, value, unit, quality, error }
        : { id, device: s.device, point: s.point, ts: time, value, quality, error };
    }
    return unit ? { id, device: s.device, point: s.point, ts: time, value, unit, quality } : { id, device: s.device, point: s.point, ts: time, value, quality };
  }

  /** Samples of one poll share their time: format it once. */
  private formatCached(ts: number): string {
    if (ts !== this.lastTs) {
      this.lastTs = ts;
      this.lastTime = formatTime(ts);
    }
    return this.lastTime;
  }

  private due(point: CompiledPoint, reading: Reading, now: number): boolean {
    const last = point.last;
    if (!last || point.deadband === undefined) return true;
    if (last.quality !== reading.quality) return true;
    if (now - last.at >= point.maxSilenceMs) return true;
    if (typeof reading.value === 'number' && typeof last.value === 'number') return Math.abs(reading.value - last.value) >= point.deadband;
    return reading.value !== last.value;
  }

  private warnOnce(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log.warn(fields, message);
  }
}

/**
 * A profile point's transform, compiled once and shared by every device of that profile (the
 * config merges the same frozen point objects into each device): 50 devices × 100 points were
 * 5,000 closures with their contexts in the old generation, now 100.
 */
const transforms = new WeakMap<BasePoint, (raw: number) => number>();

function compilePoint(p: BasePoint): CompiledPoint {
  let transform = transforms.get(p);
  if (!transform) {
    transform = compileTransform(p);
    transforms.set(p, transform);
  }
  return { unit: p.unit, transform, deadband: p.deadband, maxSilenceMs: p.maxSilenceMs };
}

function compileTransform(p: BasePoint): (raw: number) => number {
  const convert = p.sourceUnit && p.unit ? converter(p.sourceUnit, p.unit) : undefined;
  const { scale, offset } = p;
  const round = p.decimals === undefined ? undefined : 10 ** p.decimals;
  // Without `decimals`, an integer raw value (a register) is rounded to the resolution its scale
  // and offset imply: 48 × 0.1 is 4.8, not 4.800000000000001. Not after a unit conversion (its
  // factors are not decimal) nor for raw floats (their digits are the device's): set `decimals`.
  const implied = round === undefined && !convert ? impliedDecimals(scale, offset) : undefined;
  const resolution = implied ? 10 ** implied : undefined;
  return (raw: number) => {
    let v = raw * scale + offset;
    if (convert) v = convert(v);
    if (round !== undefined) return Math.round(v * round) / round;
    if (resolution !== undefined && Number.isInteger(raw)) return Math.round(v * resolution) / resolution;
    return v;
  };
}

/** Decimals a decimal scale and offset give an integer (0.1 → 1, 0.25 → 2, 1e-3 → 3); undefined when none or more than 9 (1/3). */
export function impliedDecimals(scale: number, offset: number): number | undefined {
  const n = Math.max(decimalsOf(scale), decimalsOf(offset));
  return n > 0 && n <= 9 ? n : undefined;
}

function decimalsOf(x: number): number {
  const [mantissa = '', exponent] = String(Math.abs(x)).split('e');
  const digits = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, digits - Number(exponent ?? 0));
}

/** Engineering value → raw value for writes: the inverse of the point's transform. */
export function toRawValue(p: BasePoint, value: number): number {
  let v = value;
  if (p.sourceUnit && p.unit) {
    const back = converter(p.unit, p.sourceUnit);
    if (back) v = back(v);
  }
  return (v - p.offset) / p.scale;
}
