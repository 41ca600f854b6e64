import { describe, expect, it } from 'vitest';
import { modbusPointSchema } from '../../drivers/modbus/schema.js';
import { ManualClock } from '../../gateway/core/clock.js';
import { silentLogger } from '../../gateway/core/logger.js';
import { impliedDecimals, Normalizer } from '../../gateway/pipeline/normalizer.js';

/** Scaled register values reach the platform clean: 48 × 0.1 = 4.8, not 4.800000000000001. */
describe('decimals of scaled Modbus values', () => {
  const normalize = (point: Record<string, unknown>, raws: number[]) => {
    let n = 0;
    const norm = new Normalizer(() => `id-${n++}`, new ManualClock(1_700_000_000_000), silentLogger());
    norm.setDevicePoints('m', [modbusPointSchema.parse({ name: 'p', table: 'holding-register', address: 0, ...point })]);
    return norm.normalize(raws.map((raw) => ({ device: 'm', point: 'p', ts: 1_700_000_000_000, raw }))).map((r) => r.value);
  };

  it('the values the issue saw are clean without any setting (resolution from the scale)', () => {
    expect(48 * 0.1).toBe(4.800000000000001);
    expect(normalize({ scale: 0.1 }, [48, 573, 3, -7, 0])).toEqual([4.8, 57.3, 0.3, -0.7, 0]);
    expect(normalize({ scale: 0.01, offset: -40 }, [6543, 1])).toEqual([25.43, -39.99]);
    expect(normalize({ scale: 0.001, type: 'uint32' }, [4_294_967_295])).toEqual([4_294_967.295]);
  });

  it('an explicit decimals wins (coarser or finer), also for floats', () => {
    expect(normalize({ scale: 0.1, decimals: 0 }, [48, 573])).toEqual([5, 57]);
    expect(normalize({ type: 'float32', decimals: 2 }, [21.456_789])).toEqual([21.46]);
  });

  it('a raw float keeps its digits without decimals; a non-decimal scale is not rounded', () => {
    expect(normalize({ type: 'float32' }, [21.456_789])).toEqual([21.456_789]);
    expect(normalize({ scale: 1 / 3 }, [1])).toEqual([1 / 3]);
  });

  it('impliedDecimals', () => {
    expect([
      impliedDecimals(0.1, 0),
      impliedDecimals(0.25, 0),
      impliedDecimals(1e-7, 0),
      impliedDecimals(1, 0.5),
      impliedDecimals(10, 0),
      impliedDecimals(1 / 3, 0),
    ]).toEqual([1, 2, 7, 1, undefined, undefined]);
  });
});
