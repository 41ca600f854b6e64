import { describe, expect, it } from 'vitest';
import type { DataType } from '../../drivers/modbus/data-types.js';
import { checkWriteValue } from '../../drivers/modbus/write-value.js';
import type { ResolvedPoint } from '../../drivers/modbus/resolved-point.js';

const point = (type: DataType, extra: Partial<ResolvedPoint> = {}): ResolvedPoint => ({
  name: 'setpoint',
  table: 'holding-register',
  address: 10,
  count: type === 'float32' || type === 'uint32' || type === 'int32' ? 2 : 1,
  type,
  order: 'ABCD',
  counter: false,
  group: 'default',
  writable: true,
  ...extra,
});

describe('write values', () => {
  it('accepts values that fit the register type', () => {
    expect(checkWriteValue('d', point('int16'), -32768)).toBe(-32768);
    expect(checkWriteValue('d', point('uint32'), 4_294_967_295)).toBe(4_294_967_295);
    expect(checkWriteValue('d', point('float32'), 1.5)).toBe(1.5);
    expect(checkWriteValue('d', point('bool', { table: 'coil' }), 1)).toBe(true);
    expect(checkWriteValue('d', point('string', { length: 2, count: 2 }), 'AB12')).toBe('AB12');
  });

  it('says what is wrong, with the code E_MODBUS_BAD_WRITE', () => {
    const cases: Array<[DataType, unknown, RegExp, Partial<ResolvedPoint>?]> = [
      ['uint16', 70_000, /<=65535/],
      ['int16', -40_000, />=-32768/],
      ['uint16', 1.5, /whole numbers/],
      ['uint16', 'ten', /expected number/],
      ['float32', 1e39, /<=3\.4/],
      ['bool', 2, /Invalid input/],
      ['string', 'ABCDE', /at most 4 characters/, { length: 2, count: 2 }],
    ];
    for (const [type, raw, message, extra] of cases) {
      let err: unknown;
      try {
        checkWriteValue('pm-1', point(type, extra), raw as never);
      } catch (e) {
        err = e;
      }
      expect(err, `${type} ${String(raw)}`).toMatchObject({ code: 'E_MODBUS_BAD_WRITE' });
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toContain('setpoint of pm-1');
    }
  });

  it('refuses a point that is not writable', () => {
    expect(() => checkWriteValue('pm-1', point('uint16', { writable: false }), 1)).toThrow(/not writable/);
  });
});
