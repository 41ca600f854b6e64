import type { Table } from '../../drivers/modbus/address.js';

/** A range of valid addresses of one table, [start, end). */
export interface Span {
  start: number;
  end: number;
}

/**
 * The four Modbus tables of one simulated device (Modbus app. protocol 4.3), each a full
 * 65536-entry array, with the spans that exist; anything outside is "illegal data address".
 */
export class RegisterMap {
  readonly bits: Record<'coil' | 'discrete-input', Uint8Array> = { coil: new Uint8Array(65_536), 'discrete-input': new Uint8Array(65_536) };
  readonly words: Record<'input-register' | 'holding-register', Uint16Array> = {
    'input-register': new Uint16Array(65_536),
    'holding-register': new Uint16Array(65_536),
  };
  readonly spans: Record<Table, Span[]> = { coil: [], 'discrete-input': [], 'input-register': [], 'holding-register': [] };
  /** Holes injected as a fault, per table: addresses that answer exception 02. */
  holes: Record<Table, Set<number>> = { coil: new Set(), 'discrete-input': new Set(), 'input-register': new Set(), 'holding-register': new Set() };

  /** True when every address of [start, start+count) exists. */
  exists(table: Table, start: number, count: number): boolean {
    const end = start + count;
    if (!this.spans[table].some((s) => start >= s.start && end <= s.end)) return false;
    const holes = this.holes[table];
    if (holes.size > 0) for (let a = start; a < end; a++) if (holes.has(a)) return false;
    return true;
  }

  addSpan(table: Table, start: number, end: number): void {
    this.spans[table].push({ start, end });
  }

  setWords(table: 'input-register' | 'holding-register', address: number, words: readonly number[]): void {
    this.words[table].set(words, address);
  }

  setBit(table: 'coil' | 'discrete-input', address: number, value: boolean): void {
    this.bits[table][address] = value ? 1 : 0;
  }
}
