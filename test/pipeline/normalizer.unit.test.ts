import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { basePointSchema } from '../../gateway/config/schema/point.js';
import { ManualClock } from '../../gateway/core/clock.js';
import type { RawSample } from '../../gateway/devices/driver.js';
import { Normalizer } from '../../gateway/pipeline/normalizer.js';

/**
 * The normalizer through its public methods only (setDevicePoints, normalize, preview): raw sample
 * in, contract readings out. Its internals are being optimised; these tests pin the behaviour.
 */
const T0 = Date.parse('2026-12-31T15:00:00.000Z');

function setup(points: object[]) {
  const clock = new ManualClock(T0);
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  let n = 0;
  const ids = () => `id-${++n}`;
  const normalizer = new Normalizer(ids, clock, pino({ level: 'warn' }, sink));
  normalizer.setDevicePoints(
    'dev',
    points.map((p) => basePointSchema.parse(p)),
  );
  const sample = (point: string, raw: RawSample['raw'], extra: Partial<RawSample> = {}): RawSample => ({
    device: 'dev',
    point,
    ts: clock.now(),
    raw,
    ...extra,
  });
  return { clock, normalizer, lines, sample };
}

describe('the normalizer: value transforms', () => {
  it('applies raw * scale + offset, then converts the unit, then rounds to decimals', () => {
    const { normalizer, sample } = setup([
      { name: 'voltage', unit: 'V', scale: 0.1, offset: 0 },
      { name: 'temp', unit: 'Cel', sourceUnit: '[degF]', scale: 0.1, offset: -10, decimals: 1 },
      { name: 'power', unit: 'kW', sourceUnit: 'W', decimals: 2 },
    ]);
    const out = normalizer.normalize([sample('voltage', 2305), sample('temp', 1224), sample('power', 12_345)]);
    expect(out.map((r) => [r.point, r.value, r.unit, r.quality])).toEqual([
      ['voltage', 230.5, 'V', 'good'],
      // 1224 * 0.1 - 10 = 112.4 °F → 44.666… °C → 44.7
      ['temp', 44.7, 'Cel', 'good'],
      ['power', 12.35, 'kW', 'good'],
    ]);
  });

  it('stamps each reading with an id and the sample time in RFC 3339 UTC, or now when the sample time is not a number', () => {
    const { normalizer, sample } = setup([{ name: 'p' }]);
    const [a, b] = normalizer.normalize([sample('p', 1, { ts: T0 - 1500 }), sample('p', 2, { ts: Number.NaN })]);
    expect(a).toMatchObject({ id: 'id-1', device: 'dev', point: 'p', ts: '2026-12-31T14:59:58.500Z', value: 1 });
    expect(b).toMatchObject({ id: 'id-2', ts: '2026-12-31T15:00:00.000Z', value: 2 });
    expect(a).not.toHaveProperty('unit');
  });

  it('passes booleans and strings through untransformed', () => {
    const { normalizer, sample } = setup([
      { name: 'door', scale: 10, offset: 3 },
      { name: 'label', scale: 10 },
    ]);
    expect(normalizer.normalize([sample('door', true), sample('label', 'open')]).map((r) => r.value)).toEqual([true, 'open']);
  });
});

describe('the normalizer: quality', () => {
  it('sends a bad sample as value null with its error, keeping the unit', () => {
    const { normalizer, sample } = setup([{ name: 'v', unit: 'V', scale: 0.1 }]);
    const [r] = normalizer.normalize([sample('v', 123, { quality: 'bad', error: 'modbus exception 2 (illegal data address) at holding 101' })]);
    expect(r).toMatchObject({ value: null, unit: 'V', quality: 'bad', error: 'modbus exception 2 (illegal data address) at holding 101' });
  });

  it('makes a sample with an error or a null raw value bad, and says "no value" when it has no error', () => {
    const { normalizer, sample } = setup([{ name: 'a' }, { name: 'b' }]);
    const [a, b] = normalizer.normalize([sample('a', 5, { error: 'timeout' }), sample('b', null)]);
    expect(a).toMatchObject({ value: null, quality: 'bad', error: 'timeout' });
    expect(b).toMatchObject({ value: null, quality: 'bad', error: 'no value' });
  });

  it('keeps the value of an uncertain sample with its reason', () => {
    const { normalizer, sample } = setup([{ name: 'count', scale: 2 }]);
    const [r] = normalizer.normalize([sample('count', 21, { quality: 'uncertain', error: 'device time not trusted' })]);
    expect(r).toMatchObject({ value: 42, quality: 'uncertain', error: 'device time not trusted' });
  });

  it('makes a value that is not finite after the transform bad, naming the raw value', () => {
    const { normalizer, sample } = setup([{ name: 'x', scale: 1e300 }]);
    const [r] = normalizer.normalize([sample('x', 1e300)]);
    expect(r).toMatchObject({ value: null, quality: 'bad', error: 'value 1e+300 is not a finite number' });
  });

  it('cuts a long error to 500 characters', () => {
    const { normalizer, sample } = setup([{ name: 'x' }]);
    const [r] = normalizer.normalize([sample('x', null, { quality: 'bad', error: 'e'.repeat(5000) })]);
    expect(r!.error).toHaveLength(500);
  });
});

describe('the normalizer: deadband and heartbeat (maxSilenceMs)', () => {
  it('keeps deadband state per device when devices share one profile point object (its transform is compiled once)', () => {
    const clock = new ManualClock(T0);
    const normalizer = new Normalizer(() => 'id', clock, pino({ level: 'silent' }));
    // As the config does: the profile's frozen point objects merged into every device of the profile.
    const profile = [Object.freeze(basePointSchema.parse({ name: 't', scale: 0.1, deadband: 1, maxSilenceMs: 3_600_000 }))];
    normalizer.setDevicePoints('a', profile);
    normalizer.setDevicePoints('b', profile);
    const at = (device: string, raw: number) => normalizer.normalize([{ device, point: 't', ts: clock.now(), raw }]).map((r) => r.value);
    expect(at('a', 200)).toEqual([20]);
    expect(at('b', 205)).toEqual([20.5]);
    clock.advance(1000);
    // a moved 0.5 from its own last report (inside), b moved 1.0 from its own (sent).
    expect(at('a', 205)).toEqual([]);
    expect(at('b', 215)).toEqual([21.5]);
    expect(at('a', 211)).toEqual([21.1]);
  });

  it('reports a value only when it moved at least the deadband since the last report', () => {
    const { normalizer, sample, clock } = setup([{ name: 't', unit: 'Cel', deadband: 0.5, maxSilenceMs: 60_000 }]);
    const sent: unknown[] = [];
    for (const v of [20, 20.2, 20.4, 20.5, 20.1, 19.9, 21]) {
      clock.advance(1000);
      sent.push(...normalizer.normalize([sample('t', v)]).map((r) => r.value));
    }
    // 20 first; 20.2 and 20.4 inside; 20.5 moved exactly 0.5 (>=: sent); 20.1 is 0.4 from 20.5 (not); 19.9 is 0.6 (sent).
    expect(sent).toEqual([20, 20.5, 19.9, 21]);
  });

  it('compares against the last value reported, not the last value seen, so a slow drift is still reported', () => {
    const { normalizer, sample, clock } = setup([{ name: 't', deadband: 1, maxSilenceMs: 3_600_000 }]);
    const sent: number[] = [];
    for (let i = 0; i <= 10; i++) {
      clock.advance(1000);
      sent.push(...normalizer.normalize([sample('t', 10 + i * 0.3)]).map((r) => r.value as number));
    }
    expect(sent.map((v) => Math.round(v * 10) / 10)).toEqual([10, 11.2, 12.4]);
  });

  it('sends a value inside the deadband once maxSilenceMs has passed since the last report (heartbeat)', () => {
    const { normalizer, sample, clock } = setup([{ name: 't', deadband: 5, maxSilenceMs: 10_000 }]);
    expect(normalizer.normalize([sample('t', 1)])).toHaveLength(1);
    clock.advance(9_999);
    expect(normalizer.normalize([sample('t', 1)])).toHaveLength(0);
    clock.advance(1);
    expect(normalizer.normalize([sample('t', 1)])).toHaveLength(1);
    // The heartbeat restarts from that report.
    clock.advance(5_000);
    expect(normalizer.normalize([sample('t', 1)])).toHaveLength(0);
  });

  it('always reports a change of quality, even inside the deadband', () => {
    const { normalizer, sample, clock } = setup([{ name: 't', deadband: 100, maxSilenceMs: 60_000 }]);
    const q: string[] = [];
    for (const s of [
      sample('t', 1),
      sample('t', 1, { quality: 'bad', error: 'timeout' }),
      sample('t', null, { quality: 'bad', error: 'timeout' }),
      sample('t', 1),
    ]) {
      clock.advance(1000);
      q.push(...normalizer.normalize([s]).map((r) => r.quality));
    }
    expect(q).toEqual(['good', 'bad', 'good']);
  });

  it('reports every sample of a point without a deadband, and a changed string or boolean on a point with one', () => {
    const { normalizer, sample } = setup([{ name: 'plain' }, { name: 'state', deadband: 1, maxSilenceMs: 60_000 }]);
    expect(normalizer.normalize([sample('plain', 1), sample('plain', 1), sample('plain', 1)])).toHaveLength(3);
    const states = normalizer.normalize(['idle', 'idle', 'run', 'run', 'idle'].map((v) => sample('state', v)));
    expect(states.map((r) => r.value)).toEqual(['idle', 'run', 'idle']);
  });

  it('keeps deadband state per device and point', () => {
    const { normalizer, sample } = setup([
      { name: 'a', deadband: 10, maxSilenceMs: 60_000 },
      { name: 'b', deadband: 10, maxSilenceMs: 60_000 },
    ]);
    normalizer.setDevicePoints('other', [basePointSchema.parse({ name: 'a', deadband: 10, maxSilenceMs: 60_000 })]);
    const out = normalizer.normalize([sample('a', 1), sample('b', 1), { ...sample('a', 1), device: 'other' }, sample('a', 2)]);
    expect(out.map((r) => `${r.device}/${r.point}`)).toEqual(['dev/a', 'dev/b', 'other/a']);
  });

  it('starts afresh when a device is configured again', () => {
    const { normalizer, sample } = setup([{ name: 'a', deadband: 10, maxSilenceMs: 60_000 }]);
    expect(normalizer.normalize([sample('a', 1)])).toHaveLength(1);
    expect(normalizer.normalize([sample('a', 1)])).toHaveLength(0);
    normalizer.setDevicePoints('dev', [basePointSchema.parse({ name: 'a', deadband: 10, maxSilenceMs: 60_000 })]);
    expect(normalizer.normalize([sample('a', 1)])).toHaveLength(1);
  });

  it('preview gives the reading without touching the deadband state', () => {
    const { normalizer, sample } = setup([{ name: 'a', scale: 2, deadband: 10, maxSilenceMs: 60_000 }]);
    expect(normalizer.preview(sample('a', 3))).toMatchObject({ value: 6, quality: 'good' });
    expect(normalizer.normalize([sample('a', 3)])).toHaveLength(1);
    expect(normalizer.preview(sample('a', 3))).toMatchObject({ value: 6 });
    expect(normalizer.normalize([sample('a', 3)])).toHaveLength(0);
  });
});

describe('the normalizer: samples it was not told about', () => {
  it('drops samples of an unknown or removed device, warning once per device', () => {
    const { normalizer, sample, lines } = setup([{ name: 'a' }]);
    expect(
      normalizer.normalize([
        { ...sample('a', 1), device: 'ghost' },
        { ...sample('a', 2), device: 'ghost' },
      ]),
    ).toEqual([]);
    normalizer.removeDevice('dev');
    expect(normalizer.normalize([sample('a', 1)])).toEqual([]);
    expect(lines.map((l) => [l.msg, l.device])).toEqual([
      ['sample from an unknown device dropped', 'ghost'],
      ['sample from an unknown device dropped', 'dev'],
    ]);
  });

  it('passes a point no profile lists through unscaled, warning once', () => {
    const { normalizer, sample, lines } = setup([{ name: 'a', scale: 10 }]);
    const out = normalizer.normalize([sample('extra', 7), sample('extra', 8)]);
    expect(out.map((r) => r.value)).toEqual([7, 8]);
    expect(lines.filter((l) => l.msg === 'point not in the profile: passed through unscaled')).toHaveLength(1);
  });
});
