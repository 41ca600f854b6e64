/**
 * Register data types and their decoding. Modbus app. protocol 4.2: registers are big-endian
 * 16-bit words; anything wider is a vendor convention, so word and byte order come from the
 * profile. Orders name the bytes of a 32-bit value A (most significant) .. D as they arrive:
 *   ABCD big-endian, CDAB word-swapped ("little-endian word order", common on meters),
 *   BADC byte-swapped, DCBA little-endian.
 * For 64-bit values the same rule is applied to four words (ABCD = big-endian, CDAB = words
 * reversed, BADC = bytes swapped in each word, DCBA = both).
 */

export const DATA_TYPES = ['bool', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'float64', 'string', 'bit'] as const;
export type DataType = (typeof DATA_TYPES)[number];

export const WORD_ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;
export type WordOrder = (typeof WORD_ORDERS)[number];

/** What a decoder needs to know about a point. */
export interface Encoding {
  type: DataType;
  order: WordOrder;
  /** Registers of a string. */
  length?: number | undefined;
  /** Bit 0..15 of a register, for type `bit`. */
  bit?: number | undefined;
}

/** How many registers (or bits, for bool on a bit table) a value of this type occupies. */
export function registerCount(enc: Encoding): number {
  switch (enc.type) {
    case 'bool':
    case 'int16':
    case 'uint16':
    case 'bit':
      return 1;
    case 'int32':
    case 'uint32':
    case 'float32':
      return 2;
    case 'float64':
      return 4;
    case 'string':
      return enc.length ?? 1;
  }
}

/** Registers (as received) → big-endian bytes of the value, undoing the word/byte order. */
function toBigEndian(words: ArrayLike<number>, order: WordOrder): Buffer {
  const n = words.length;
  const buf = Buffer.alloc(n * 2);
  const swapBytes = order === 'BADC' || order === 'DCBA';
  const reverseWords = order === 'CDAB' || order === 'DCBA';
  for (let i = 0; i < n; i++) {
    const w = words[reverseWords ? n - 1 - i : i]! & 0xffff;
    const v = swapBytes ? ((w & 0xff) << 8) | (w >> 8) : w;
    buf.writeUInt16BE(v, i * 2);
  }
  return buf;
}

/** Big-endian bytes of a value → registers in the device's order (the inverse of toBigEndian). */
function fromBigEndian(buf: Buffer, order: WordOrder): number[] {
  const n = buf.length / 2;
  const swapBytes = order === 'BADC' || order === 'DCBA';
  const reverseWords = order === 'CDAB' || order === 'DCBA';
  const words = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const v = buf.readUInt16BE(i * 2);
    words[reverseWords ? n - 1 - i : i] = swapBytes ? ((v & 0xff) << 8) | (v >> 8) : v;
  }
  return words;
}

/**
 * Decodes the value at `offset` of a block's registers without copying them: the one-register
 * types (most points of a meter) read the word directly; wider ones go through decodeRegisters.
 * Per poll this saves an array and a Buffer per point (the Modbus decode path's garbage).
 */
export function decodeRegistersAt(words: ArrayLike<number>, offset: number, count: number, enc: Encoding): number | boolean | string {
  if (enc.type === 'uint16' || enc.type === 'int16') {
    const w = words[offset]! & 0xffff;
    // One register: only a byte swap (BADC, DCBA) changes it; CDAB swaps words, and there is one.
    const v = enc.order === 'BADC' || enc.order === 'DCBA' ? ((w & 0xff) << 8) | (w >> 8) : w;
    return enc.type === 'int16' ? (v << 16) >> 16 : v;
  }
  if (count === 1 && (enc.type === 'bool' || enc.type === 'bit')) return decodeRegisters([words[offset]!], enc);
  return decodeRegisters(Array.prototype.slice.call(words, offset, offset + count) as number[], enc);
}

/** Decodes registers (exactly registerCount of them) into a raw value. */
export function decodeRegisters(words: ArrayLike<number>, enc: Encoding): number | boolean | string {
  switch (enc.type) {
    case 'bool':
      return (words[0]! & 0xffff) !== 0;
    case 'bit':
      return ((words[0]! >> (enc.bit ?? 0)) & 1) === 1;
    case 'string': {
      // Strings are byte streams: only the byte order inside each register applies.
      const swap = enc.order === 'BADC' || enc.order === 'DCBA';
      const buf = toBigEndian(words, swap ? 'BADC' : 'ABCD');
      const end = buf.indexOf(0);
      return buf
        .subarray(0, end === -1 ? buf.length : end)
        .toString('latin1')
        .replace(/[ ]+$/, '');
    }
    default: {
      const buf = toBigEndian(words, enc.order);
      switch (enc.type) {
        case 'int16':
          return buf.readInt16BE(0);
        case 'uint16':
          return buf.readUInt16BE(0);
        case 'int32':
          return buf.readInt32BE(0);
        case 'uint32':
          return buf.readUInt32BE(0);
        case 'float32':
          return buf.readFloatBE(0);
        case 'float64':
          return buf.readDoubleBE(0);
      }
    }
  }
}

/** The range a raw value of an integer type can hold. */
export function integerRange(type: DataType): [number, number] | undefined {
  switch (type) {
    case 'int16':
      return [-32_768, 32_767];
    case 'uint16':
      return [0, 65_535];
    case 'int32':
      return [-2_147_483_648, 2_147_483_647];
    case 'uint32':
      return [0, 4_294_967_295];
    default:
      return undefined;
  }
}

/** Encodes a raw value into registers in the device's order (the value is already checked). */
export function encodeRegisters(value: number | boolean | string, enc: Encoding): number[] {
  switch (enc.type) {
    case 'bool':
      return [value ? 1 : 0];
    case 'bit':
      throw new Error('a bit of a register is written by read-modify-write, not encoded alone');
    case 'string': {
      const n = registerCount(enc);
      const buf = Buffer.alloc(n * 2);
      buf.write(String(value), 'latin1');
      const swap = enc.order === 'BADC' || enc.order === 'DCBA';
      return fromBigEndian(buf, swap ? 'BADC' : 'ABCD');
    }
    default: {
      const n = registerCount(enc);
      const buf = Buffer.alloc(n * 2);
      const v = Number(value);
      if (enc.type === 'int16') buf.writeInt16BE(v, 0);
      else if (enc.type === 'uint16') buf.writeUInt16BE(v, 0);
      else if (enc.type === 'int32') buf.writeInt32BE(v, 0);
      else if (enc.type === 'uint32') buf.writeUInt32BE(v, 0);
      else if (enc.type === 'float32') buf.writeFloatBE(v, 0);
      else buf.writeDoubleBE(v, 0);
      return fromBigEndian(buf, enc.order);
    }
  }
}
