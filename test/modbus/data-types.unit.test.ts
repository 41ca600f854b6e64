import { describe, expect, it } from 'vitest';
import { type DataType, decodeRegisters, encodeRegisters, type WordOrder } from '../../drivers/modbus/data-types.js';

/** Known vectors: the registers as they arrive for each word/byte order. */
const VECTORS: Array<{ type: DataType; value: number | string; words: Record<WordOrder, number[]>; length?: number }> = [
  // 123456.0 = 0x47F12000 (IEEE 754 single)
  { type: 'float32', value: 123456.0, words: { ABCD: [0x47f1, 0x2000], CDAB: [0x2000, 0x47f1], BADC: [0xf147, 0x0020], DCBA: [0x0020, 0xf147] } },
  // -123456789 = 0xF8A432EB
  { type: 'int32', value: -123456789, words: { ABCD: [0xf8a4, 0x32eb], CDAB: [0x32eb, 0xf8a4], BADC: [0xa4f8, 0xeb32], DCBA: [0xeb32, 0xa4f8] } },
  // 4000000000 = 0xEE6B2800
  { type: 'uint32', value: 4_000_000_000, words: { ABCD: [0xee6b, 0x2800], CDAB: [0x2800, 0xee6b], BADC: [0x6bee, 0x0028], DCBA: [0x0028, 0x6bee] } },
  // 123456.0 = 0x40FE240000000000 (IEEE 754 double)
  {
    type: 'float64',
    value: 123456.0,
    words: { ABCD: [0x40fe, 0x2400, 0, 0], CDAB: [0, 0, 0x2400, 0x40fe], BADC: [0xfe40, 0x0024, 0, 0], DCBA: [0, 0, 0x0024, 0xfe40] },
  },
  // -2 = 0xFFFE; 16-bit values only see the byte order
  { type: 'int16', value: -2, words: { ABCD: [0xfffe], CDAB: [0xfffe], BADC: [0xfeff], DCBA: [0xfeff] } },
  { type: 'uint16', value: 0x1234, words: { ABCD: [0x1234], CDAB: [0x1234], BADC: [0x3412], DCBA: [0x3412] } },
  // strings are byte streams: only the byte order within a register applies
  { type: 'string', value: 'AB12', length: 2, words: { ABCD: [0x4142, 0x3132], CDAB: [0x4142, 0x3132], BADC: [0x4241, 0x3231], DCBA: [0x4241, 0x3231] } },
];

describe('register decoding', () => {
  for (const v of VECTORS) {
    for (const order of ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const) {
      it(`${v.type} ${v.value} in ${order}`, () => {
        const enc = { type: v.type, order, length: v.length };
        expect(decodeRegisters(v.words[order], enc)).toBe(v.value);
        expect(encodeRegisters(v.value, enc)).toEqual(v.words[order]);
      });
    }
  }

  it('decodes bits of a register, bit 0 least significant', () => {
    expect([0, 1, 2, 15].map((bit) => decodeRegisters([0x8005], { type: 'bit', order: 'ABCD', bit }))).toEqual([true, false, true, true]);
  });

  it('decodes bool from a register as non-zero', () => {
    expect(decodeRegisters([0], { type: 'bool', order: 'ABCD' })).toBe(false);
    expect(decodeRegisters([2], { type: 'bool', order: 'ABCD' })).toBe(true);
  });

  it('stops a string at NUL and trims trailing spaces', () => {
    expect(decodeRegisters([0x4142, 0x2020, 0x0000], { type: 'string', order: 'ABCD', length: 3 })).toBe('AB');
    expect(decodeRegisters([0x4142, 0x4300], { type: 'string', order: 'ABCD', length: 2 })).toBe('ABC');
  });
});
