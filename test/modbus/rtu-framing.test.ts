import { describe, expect, it } from 'vitest';
import { crc16 } from '../../drivers/modbus/crc16.js';
import { answerLength, findFrame, frameStart } from '../../drivers/modbus/rtu-line-port.js';

/** A frame with its CRC (Modbus serial line 6.2.2: low byte first). */
function frame(...bytes: number[]): Buffer {
  const crc = crc16(Uint8Array.from(bytes));
  return Buffer.from([...bytes, crc & 0xff, crc >> 8]);
}

describe('RTU answer framing (crafted input)', () => {
  const read10 = frame(7, 3, 0, 0, 0, 10); // FC 03, 10 registers from 0
  const expect7 = { unit: 7, fc: 3, length: answerLength(read10) };
  const answer = frame(7, 3, 20, ...Array.from({ length: 20 }, (_, i) => i));

  it('knows the answer length of each function', () => {
    expect(answerLength(read10)).toBe(25);
    expect(answerLength(frame(1, 1, 0, 0, 0, 9))).toBe(7); // 9 coils: 2 data bytes
    expect(answerLength(frame(1, 16, 0, 0, 0, 2, 4, 0, 1, 0, 2))).toBe(8);
    expect(answerLength(frame(1, 43, 14, 1, 0))).toBe(0);
  });

  it('finds the answer behind leading noise, and an exception', () => {
    expect(findFrame(answer, expect7)).toEqual(answer);
    expect(findFrame(Buffer.concat([Buffer.from([0xff, 0x07, 0x03]), answer]), expect7)).toEqual(answer);
    const exception = frame(7, 0x83, 2);
    expect(findFrame(Buffer.concat([Buffer.from([0x00]), exception]), expect7)).toEqual(exception);
  });

  it('takes no frame with a bad CRC, a short frame, another unit or another function', () => {
    const bad = Buffer.from(answer);
    bad[24] = bad[24]! ^ 0x5a;
    expect(findFrame(bad, expect7)).toBeUndefined();
    expect(findFrame(answer.subarray(0, 22), expect7)).toBeUndefined();
    expect(findFrame(frame(8, 3, 20, ...Array.from({ length: 20 }, () => 0)), expect7)).toBeUndefined();
    expect(findFrame(frame(7, 4, 20, ...Array.from({ length: 20 }, () => 0)), expect7)).toBeUndefined();
  });

  it('tells a broken answer (its start is there) from plain noise', () => {
    expect(frameStart(Buffer.from([0xff, 0x00, 7, 3, 20, 1]), expect7)).toBe(2);
    expect(frameStart(Buffer.from([0xff, 0x00, 7, 0x83]), expect7)).toBe(2);
    expect(frameStart(Buffer.from([0xff, 0x00, 0x55, 0xaa, 7]), expect7)).toBe(-1);
  });
});
