/**
 * A tiny baseline JPEG encoder (ITU T.81), so the simulator needs no image file, ImageMagick or
 * ffmpeg. It writes one grayscale component where each 8×8 block is flat (DC only, every AC
 * coefficient zero, coded as EOB): a valid JPEG any decoder reads, showing a blocky pattern
 * that differs per camera and channel.
 */

/** Standard luminance DC Huffman table (T.81 Annex K.3, Table K.3). */
const DC_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const DC_VALS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
/** An AC table with the single symbol EOB (0x00), coded '0': all we need for DC-only blocks. */
const AC_BITS = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const AC_VALS = [0];
/** Every coefficient quantized by 16: DC q ↦ block mean 128 + 2q. */
const Q = 16;

/** Canonical Huffman codes from BITS/HUFFVAL (T.81 Annex C). */
function huffmanCodes(bits: number[], vals: number[]): Map<number, { code: number; length: number }> {
  const out = new Map<number, { code: number; length: number }>();
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    for (let i = 0; i < bits[len - 1]!; i++) out.set(vals[k++]!, { code: code++, length: len });
    code <<= 1;
  }
  return out;
}

class BitWriter {
  private readonly bytes: number[] = [];
  private acc = 0;
  private n = 0;
  write(value: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((value >> i) & 1);
      if (++this.n === 8) this.flushByte();
    }
  }
  private flushByte(): void {
    this.bytes.push(this.acc);
    // T.81 §F.1.2.3: a 0xFF in entropy-coded data is followed by a stuffed 0x00.
    if (this.acc === 0xff) this.bytes.push(0);
    this.acc = 0;
    this.n = 0;
  }
  finish(): number[] {
    // Pad the last byte with 1-bits (T.81 §F.1.2.3).
    while (this.n !== 0) this.write(1, 1);
    return this.bytes;
  }
}

function segment(marker: number, payload: number[]): number[] {
  const len = payload.length + 2;
  return [0xff, marker, len >> 8, len & 0xff, ...payload];
}

/**
 * Encodes a grayscale image given as per-block means (0..255), `blocksWide` × `blocksHigh` blocks
 * of 8×8 pixels, with an optional COM comment.
 */
export function encodeBlockJpeg(means: number[], blocksWide: number, blocksHigh: number, comment = ''): Buffer {
  const width = blocksWide * 8;
  const height = blocksHigh * 8;
  const dc = huffmanCodes(DC_BITS, DC_VALS);
  const ac = huffmanCodes(AC_BITS, AC_VALS);
  const bw = new BitWriter();
  let prev = 0;
  for (const mean of means) {
    const q = Math.max(-63, Math.min(63, Math.round((mean - 128) / 2)));
    const diff = q - prev;
    prev = q;
    const size = diff === 0 ? 0 : Math.floor(Math.log2(Math.abs(diff))) + 1;
    const c = dc.get(size)!;
    bw.write(c.code, c.length);
    if (size > 0) bw.write(diff > 0 ? diff : diff + (1 << size) - 1, size);
    const eob = ac.get(0)!;
    bw.write(eob.code, eob.length);
  }
  const com = [...Buffer.from(comment.slice(0, 200), 'latin1')];
  const bytes = [
    0xff,
    0xd8,
    ...segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]),
    ...(com.length ? segment(0xfe, com) : []),
    ...segment(0xdb, [0x00, ...new Array<number>(64).fill(Q)]),
    ...segment(0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]),
    ...segment(0xc4, [0x00, ...DC_BITS, ...DC_VALS]),
    ...segment(0xc4, [0x10, ...AC_BITS, ...AC_VALS]),
    ...segment(0xda, [1, 1, 0x00, 0, 63, 0]),
    ...bw.finish(),
    0xff,
    0xd9,
  ];
  return Buffer.from(bytes);
}

/** A 160×96 test card: a diagonal gradient with `seed` light bars, distinct per camera/channel. */
export function testCardJpeg(seed: number, label: string): Buffer {
  const bwide = 20;
  const bhigh = 12;
  const means: number[] = [];
  for (let y = 0; y < bhigh; y++) {
    for (let x = 0; x < bwide; x++) {
      const bar = y >= 9 && y <= 10 && x >= 1 && x < 1 + (seed % 18) + 1;
      means.push(bar ? 250 : 40 + (((x + y + seed) * 7) % 160));
    }
  }
  return encodeBlockJpeg(means, bwide, bhigh, label);
}
