import { isBitTable } from './address.js';
import { type Block, type PlanLimits, PROTOCOL_LIMITS } from './block-planner.js';

/** What a probe of a block gave: its data, or the device's exception 02 (some address missing). */
export type ProbeResult = { data: readonly (boolean | number)[] } | { refused: Error };

/** The result of learning where the holes of a refused block are. */
export interface Learned {
  /** The reads to make instead of the block from now on: the largest sub-blocks known to be valid, and each refused point alone. */
  parts: Block[];
  /** Sub-blocks read while learning, with their data (so the cycle still reports every point it could). */
  read: Array<{ block: Block; data: readonly (boolean | number)[] }>;
  /** Single points the device refused (a point at a hole), with the exception. */
  refused: Array<{ block: Block; error: Error }>;
}

/**
 * After a coalesced block was refused with exception 02 (Modbus app. protocol 7: illegal data
 * address: some address in it does not exist), finds out which sub-ranges are valid by
 * bisection over its points (about 2·log2(points) requests, once), then joins the sub-blocks
 * that proved readable and touch into the largest valid reads. A hole in a filled gap leaves two
 * blocks; a point on a hole is read alone (and keeps failing with its exception, so it shows).
 * A probe that fails another way (timeout, connection) throws: learning stops, nothing is
 * learned, and the cycle treats it as that failure.
 */
export async function learnHoles(block: Block, probe: (b: Block) => Promise<ProbeResult>, limits: PlanLimits): Promise<Learned> {
  const read: Learned['read'] = [];
  const refused: Learned['refused'] = [];
  const visit = async (b: Block): Promise<void> => {
    const r = await probe(b);
    if ('data' in r) read.push({ block: b, data: r.data });
    else if (b.points.length === 1) refused.push({ block: b, error: r.refused });
    else for (const half of halves(b)) await visit(half);
  };
  // The whole block was refused already: start with its halves.
  if (block.points.length === 1) return { parts: [block], read, refused: [] };
  for (const half of halves(block)) await visit(half);
  const parts = [
    ...mergeValid(
      read.map((r) => r.block),
      limits,
    ),
    ...refused.map((r) => r.block),
  ].sort((a, b) => a.start - b.start);
  return { parts, read, refused };
}

/** Splits a block's points (by address) into two blocks, each spanning only its own points. */
export function halves(block: Block): [Block, Block] {
  const points = [...block.points].sort((a, b) => a.address - b.address || b.count - a.count);
  // Overlapping points (a register and a bit of it) stay on the same side.
  let cut = Math.floor(points.length / 2);
  while (cut < points.length && points[cut]!.address < points[cut - 1]!.address + points[cut - 1]!.count) cut++;
  if (cut === points.length) cut = Math.floor(points.length / 2);
  return [span(block, points.slice(0, cut)), span(block, points.slice(cut))];
}

/** Blocks that were read whole and touch or overlap are one valid range: join them (within the quantity limit). */
export function mergeValid(blocks: readonly Block[], limits: PlanLimits): Block[] {
  const out: Block[] = [];
  for (const b of [...blocks].sort((x, y) => x.start - y.start)) {
    const max = isBitTable(b.table) ? Math.min(limits.maxBits, PROTOCOL_LIMITS.maxBits) : Math.min(limits.maxRegisters, PROTOCOL_LIMITS.maxRegisters);
    const cur = out.at(-1);
    const end = Math.max(cur ? cur.start + cur.count : 0, b.start + b.count);
    if (cur && cur.table === b.table && b.start <= cur.start + cur.count && end - cur.start <= max) {
      cur.count = end - cur.start;
      cur.points = [...cur.points, ...b.points];
    } else {
      out.push({ table: b.table, start: b.start, count: b.count, points: [...b.points] });
    }
  }
  return out;
}

function span(block: Block, points: Block['points']): Block {
  const start = Math.min(...points.map((p) => p.address));
  const end = Math.max(...points.map((p) => p.address + p.count));
  return { table: block.table, start, count: end - start, points };
}
