import { describe, expect, it } from 'vitest';
import type { Table } from '../../drivers/modbus/address.js';
import { planBlocks } from '../../drivers/modbus/block-planner.js';
import type { DataType } from '../../drivers/modbus/data-types.js';
import type { ResolvedPoint } from '../../drivers/modbus/resolved-point.js';

const LIMITS = { maxRegisters: 125, maxBits: 2000, gapFill: 10 };

function pt(name: string, table: Table, address: number, type: DataType = 'uint16', extra: Partial<ResolvedPoint> = {}): ResolvedPoint {
  const count = table === 'coil' || table === 'discrete-input' ? 1 : ({ float64: 4, float32: 2, int32: 2, uint32: 2 }[type as string] ?? 1);
  return { name, table, address, count, type, order: 'ABCD', counter: false, group: 'default', writable: false, ...extra };
}

const spans = (blocks: ReturnType<typeof planBlocks>) => blocks.map((b) => `${b.table}:${b.start}+${b.count}[${b.points.map((p) => p.name).join(',')}]`);

describe('block planner', () => {
  it('keeps tables apart and orders by address', () => {
    const blocks = planBlocks([pt('h1', 'holding-register', 5), pt('i1', 'input-register', 5), pt('c1', 'coil', 3), pt('d1', 'discrete-input', 0)], LIMITS);
    expect(spans(blocks)).toEqual(['coil:3+1[c1]', 'discrete-input:0+1[d1]', 'input-register:5+1[i1]', 'holding-register:5+1[h1]']);
  });

  it('fills gaps up to gapFill and no further', () => {
    const points = [pt('a', 'holding-register', 0, 'float32'), pt('b', 'holding-register', 12), pt('c', 'holding-register', 24)];
    // a ends at 2; b at 12 leaves a gap of 10 (filled); c at 24 leaves 11 (not filled)
    expect(spans(planBlocks(points, LIMITS))).toEqual(['holding-register:0+13[a,b]', 'holding-register:24+1[c]']);
    expect(spans(planBlocks(points, { ...LIMITS, gapFill: 0 }))).toEqual(['holding-register:0+2[a]', 'holding-register:12+1[b]', 'holding-register:24+1[c]']);
  });

  it('never exceeds 125 registers or 2000 bits per read', () => {
    const regs = Array.from({ length: 200 }, (_, i) => pt(`r${i}`, 'input-register', i));
    const blocks = planBlocks(regs, LIMITS);
    expect(blocks.map((b) => b.count)).toEqual([125, 75]);
    const bits = Array.from({ length: 2500 }, (_, i) => pt(`c${i}`, 'coil', i));
    expect(planBlocks(bits, LIMITS).map((b) => b.count)).toEqual([2000, 500]);
    const floats = Array.from({ length: 70 }, (_, i) => pt(`f${i}`, 'holding-register', i * 2, 'float32'));
    // a float32 is never cut in two: 62 floats = 124 registers, the 63rd would make 126
    expect(planBlocks(floats, LIMITS).map((b) => b.count)).toEqual([124, 16]);
  });

  it('honours a device limit below the protocol limit', () => {
    const regs = Array.from({ length: 50 }, (_, i) => pt(`r${i}`, 'input-register', i));
    expect(planBlocks(regs, { ...LIMITS, maxRegisters: 20 }).map((b) => b.count)).toEqual([20, 20, 10]);
  });

  it('shares registers between overlapping points (a register and its bits)', () => {
    const points = [
      pt('status', 'holding-register', 7),
      pt('alarm', 'holding-register', 7, 'bit', { bit: 3 }),
      pt('ok', 'holding-register', 7, 'bit', { bit: 0 }),
    ];
    const blocks = planBlocks(points, LIMITS);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]!.count).toBe(1);
  });

  it('rejects a point wider than one read', () => {
    expect(() => planBlocks([pt('s', 'holding-register', 0, 'string', { count: 126 })], LIMITS)).toThrow(/more than one read may carry/);
  });
});
