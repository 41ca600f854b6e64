import { isBitTable, type Table } from './address.js';
import type { ResolvedPoint } from './resolved-point.js';

/** One read request: a contiguous range of one table and the points it carries. */
export interface Block {
  table: Table;
  /** 0-based first address. */
  start: number;
  /** Registers or bits. */
  count: number;
  points: ResolvedPoint[];
}

export interface PlanLimits {
  /** Modbus app. protocol 6.3/6.4: 1..125 registers per read. */
  maxRegisters: number;
  /** Modbus app. protocol 6.1/6.2: 1..2000 bits per read. */
  maxBits: number;
  /** Unused addresses read through to join two points into one block (0 = off). */
  gapFill: number;
}

export const PROTOCOL_LIMITS = { maxRegisters: 125, maxBits: 2000 } as const;

const TABLE_ORDER: Table[] = ['coil', 'discrete-input', 'input-register', 'holding-register'];

/**
 * Coalesces points into as few reads as the limits allow: per table, sorted by address, a point
 * joins the current block when the hole before it is at most `gapFill` and the block stays within
 * the quantity limit. Overlapping points (a register and a bit of it) share their registers.
 */
export function planBlocks(points: readonly ResolvedPoint[], limits: PlanLimits): Block[] {
  const blocks: Block[] = [];
  for (const table of TABLE_ORDER) {
    const max = isBitTable(table) ? Math.min(limits.maxBits, PROTOCOL_LIMITS.maxBits) : Math.min(limits.maxRegisters, PROTOCOL_LIMITS.maxRegisters);
    const sorted = points.filter((p) => p.table === table).sort((a, b) => a.address - b.address || b.count - a.count);
    let current: Block | undefined;
    for (const p of sorted) {
      if (p.count > max) throw new Error(`point ${p.name} spans ${p.count} registers, more than one read may carry (${max})`);
      const end = p.address + p.count;
      if (current) {
        const currentEnd = current.start + current.count;
        const gap = p.address - currentEnd;
        const newCount = Math.max(currentEnd, end) - current.start;
        if (gap <= limits.gapFill && newCount <= max) {
          current.count = newCount;
          current.points.push(p);
          continue;
        }
      }
      current = { table, start: p.address, count: p.count, points: [p] };
      blocks.push(current);
    }
  }
  return blocks;
}

/** Total number of points carried, for the points-per-request metric. */
export function pointCount(blocks: readonly Block[]): number {
  return blocks.reduce((n, b) => n + b.points.length, 0);
}
