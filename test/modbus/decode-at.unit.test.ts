import { describe, expect, it } from 'vitest';
import { DATA_TYPES, decodeRegisters, decodeRegistersAt, registerCount, WORD_ORDERS } from '../../drivers/modbus/data-types.js';

/** A block of registers with every bit pattern class: zero, sign bit, byte-asymmetric, all ones. */
const BLOCK = [0x0000, 0x8001, 0x1234, 0xffff, 0xfe01, 0x4142, 0x3132, 0x0020, 0x47f1, 0x2000, 0x7fff, 0x0080];

describe('decodeRegistersAt (the poll path, no copy)', () => {
  for (const type of DATA_TYPES) {
    for (const order of WORD_ORDERS) {
      it(`gives what decodeRegisters gives on a copy: ${type} ${order}`, () => {
        const enc = { type, order, length: 3, bit: 7 };
        const count = registerCount(enc);
        for (let offset = 0; offset + count <= BLOCK.length; offset++) {
          expect(decodeRegistersAt(BLOCK, offset, count, enc)).toEqual(decodeRegisters(BLOCK.slice(offset, offset + count), enc));
        }
      });
    }
  }
});
