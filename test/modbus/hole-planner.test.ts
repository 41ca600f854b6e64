import { describe, expect, it } from 'vitest';
import type { Table } from '../../drivers/modbus/address.js';
import { type Block, planBlocks } from '../../drivers/modbus/block-planner.js';
import { halves, learnHoles, mergeValid, type ProbeResult } from '../../drivers/modbus/hole-planner.js';
import type { ResolvedPoint } from '../../drivers/modbus/resolved-point.js';

const LIMITS = { maxRegisters: 125, maxBits: 2000, gapFill: 16 };

function pt(name: string, address: number, count = 1, table: Table = 'holding-register'): ResolvedPoint {
  return { name, table, address, count, type: count === 2 ? 'uint32' : 'uint16', order: 'ABCD', counter: false, group: 'default', writable: false };
}

const spans = (blocks: readonly Block[]) => blocks.map((b) => `${b.start}+${b.count}[${b.points.map((p) => p.name).join(',')}]`);

/** A device whose map lacks `holes`: a read touching one is refused (exception 02), as pymodbus's sparse blocks do. */
function device(holes: number[]) {
  const requests: string[] = [];
  const probe = async (b: Block): Promise<ProbeResult> => {
    requests.push(`${b.start}+${b.count}`);
    if (holes.some((h) => h >= b.start && h < b.start + b.count)) return { refused: Object.assign(new Error('exception 2'), { exceptionCode: 2 }) };
    return { data: Array.from({ length: b.count }, (_, i) => b.start + i) };
  };
  return { probe, requests };
}

describe('hole-aware planner', () => {
  it('a 9-register block with holes at 103 and 107 (points around them) becomes 3 reads', async () => {
    const points = [100, 101, 102, 104, 105, 106, 108].map((a) => pt(`r${a}`, a));
    const [block] = planBlocks(points, LIMITS);
    expect(spans([block!])).toEqual(['100+9[r100,r101,r102,r104,r105,r106,r108]']);
    const dev = device([103, 107]);
    const learned = await learnHoles(block!, dev.probe, LIMITS);
    expect(spans(learned.parts)).toEqual(['100+3[r100,r101,r102]', '104+3[r104,r105,r106]', '108+1[r108]']);
    // Every point was read while learning, none refused; learning took a handful of requests, once.
    expect(learned.read.flatMap((r) => r.block.points.map((p) => p.name)).sort()).toEqual(points.map((p) => p.name).sort());
    expect(learned.refused).toEqual([]);
    expect(dev.requests.length).toBeLessThanOrEqual(8);
  });

  it('a point on a hole is read alone and reported refused; the rest joins up', async () => {
    const points = Array.from({ length: 9 }, (_, i) => pt(`p${i}`, 200 + i));
    const [block] = planBlocks(points, LIMITS);
    const learned = await learnHoles(block!, device([204]).probe, LIMITS);
    expect(spans(learned.parts)).toEqual(['200+4[p0,p1,p2,p3]', '204+1[p4]', '205+4[p5,p6,p7,p8]']);
    expect(learned.refused.map((r) => r.block.points[0]!.name)).toEqual(['p4']);
    expect(learned.refused[0]!.error.message).toBe('exception 2');
  });

  it('a hole in a filled gap leaves two reads; a 32-bit point is never cut', async () => {
    const points = [pt('a', 10, 2), pt('b', 12, 2), pt('c', 20, 2), pt('d', 22, 2)];
    const [block] = planBlocks(points, LIMITS);
    expect(block!.count).toBe(14);
    const learned = await learnHoles(block!, device([15]).probe, LIMITS);
    expect(spans(learned.parts)).toEqual(['10+4[a,b]', '20+4[c,d]']);
  });

  it('another failure while learning stops it (nothing learned)', async () => {
    const points = [pt('a', 0), pt('b', 5), pt('c', 9)];
    const [block] = planBlocks(points, LIMITS);
    let n = 0;
    const probe = async (): Promise<ProbeResult> => {
      if (++n === 2) throw new Error('timeout');
      return { refused: new Error('exception 2') };
    };
    await expect(learnHoles(block!, probe, LIMITS)).rejects.toThrow('timeout');
  });

  it('halves keep a register and its bits together; mergeValid respects the quantity limit', () => {
    const reg = pt('status', 7);
    const bit = { ...pt('alarm', 7), type: 'bit' as const, bit: 3 };
    const [a, b] = halves({ table: 'holding-register', start: 6, count: 3, points: [pt('x', 6), reg, bit, pt('y', 8)] });
    expect(spans([a, b])).toEqual(['6+2[x,status,alarm]', '8+1[y]']);
    const blocks = Array.from({ length: 10 }, (_, i) => ({ table: 'holding-register' as const, start: i * 20, count: 20, points: [pt(`b${i}`, i * 20)] }));
    expect(mergeValid(blocks, { ...LIMITS, maxRegisters: 60 }).map((b) => b.count)).toEqual([60, 60, 60, 20]);
  });
});
