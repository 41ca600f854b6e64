import { isBitTable, resolveAddress, type Table } from './address.js';
import { type Encoding, registerCount } from './data-types.js';
import type { ModbusPoint } from './schema.js';

/** A point ready for the hot path: address resolved, width known. Frozen once per device config. */
export interface ResolvedPoint extends Encoding {
  name: string;
  table: Table;
  /** 0-based protocol address. */
  address: number;
  /** Registers (or bits) it spans. */
  count: number;
  counter: boolean;
  group: string;
  intervalMs?: number | undefined;
  modes?: Partial<Record<string, number>> | undefined;
  writable: boolean;
}

/** Resolves a validated point (the schema has already rejected bad addresses). */
export function resolvePoint(p: ModbusPoint): ResolvedPoint {
  const r = resolveAddress(p.table, p.address);
  if (typeof r === 'string') throw new Error(`point ${p.name}: ${r}`);
  return Object.freeze({
    name: p.name,
    table: r.table,
    address: r.address,
    count: isBitTable(r.table) ? 1 : registerCount(p),
    type: p.type,
    order: p.order,
    length: p.length,
    bit: p.bit,
    counter: p.counter,
    group: p.poll.group,
    intervalMs: p.poll.intervalMs,
    modes: p.poll.modes,
    writable: p.writable !== undefined,
  });
}
