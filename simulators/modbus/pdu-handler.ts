import type { Table } from '../../drivers/modbus/address.js';
import type { RegisterMap } from './register-map.js';

/** Modbus app. protocol 7: exception response = function code | 0x80, then the exception code. */
export function exceptionPdu(fc: number, code: number): Buffer {
  return Buffer.from([fc | 0x80, code]);
}

const READ_TABLES: Record<number, Table> = { 1: 'coil', 2: 'discrete-input', 3: 'holding-register', 4: 'input-register' };

const SUPPORTED = new Set([1, 2, 3, 4, 5, 6, 15, 16]);

/** Hooks for a device that reacts to writes (a written point stops moving on its own). */
export type WriteListener = (table: Table, address: number, count: number) => void;

/**
 * Answers one request PDU from a register map: read coils / inputs / registers (FC 1-4), write
 * single coil / register (FC 5, 6), write multiple coils / registers (FC 15, 16). Quantities and
 * addresses are checked as the spec says (6.1-6.12): bad quantity → 03, bad address → 02,
 * unknown function → 01.
 */
export function handlePdu(pdu: Buffer, map: RegisterMap, onWrite?: WriteListener): Buffer {
  const fc = pdu[0] ?? 0;
  if (!SUPPORTED.has(fc)) return exceptionPdu(fc, 1);
  if (pdu.length < 5) return exceptionPdu(fc, 3);
  const address = pdu.readUInt16BE(1);
  const quantity = pdu.readUInt16BE(3);
  switch (fc) {
    case 1:
    case 2: {
      const table = READ_TABLES[fc] as 'coil' | 'discrete-input';
      if (quantity < 1 || quantity > 2000) return exceptionPdu(fc, 3);
      if (!map.exists(table, address, quantity)) return exceptionPdu(fc, 2);
      const bytes = Math.ceil(quantity / 8);
      const out = Buffer.alloc(2 + bytes);
      out[0] = fc;
      out[1] = bytes;
      const bits = map.bits[table];
      for (let i = 0; i < quantity; i++) if (bits[address + i]) out[2 + (i >> 3)]! |= 1 << (i & 7);
      return out;
    }
    case 3:
    case 4: {
      const table = READ_TABLES[fc] as 'holding-register' | 'input-register';
      if (quantity < 1 || quantity > 125) return exceptionPdu(fc, 3);
      if (!map.exists(table, address, quantity)) return exceptionPdu(fc, 2);
      const out = Buffer.alloc(2 + quantity * 2);
      out[0] = fc;
      out[1] = quantity * 2;
      const words = map.words[table];
      for (let i = 0; i < quantity; i++) out.writeUInt16BE(words[address + i]!, 2 + i * 2);
      return out;
    }
    case 5: {
      // 6.5: 0xFF00 = ON, 0x0000 = OFF, anything else is an illegal value.
      if (quantity !== 0xff00 && quantity !== 0) return exceptionPdu(fc, 3);
      if (!map.exists('coil', address, 1)) return exceptionPdu(fc, 2);
      map.setBit('coil', address, quantity === 0xff00);
      onWrite?.('coil', address, 1);
      return Buffer.from(pdu.subarray(0, 5));
    }
    case 6: {
      if (!map.exists('holding-register', address, 1)) return exceptionPdu(fc, 2);
      map.words['holding-register'][address] = quantity;
      onWrite?.('holding-register', address, 1);
      return Buffer.from(pdu.subarray(0, 5));
    }
    case 15: {
      const byteCount = pdu[5] ?? 0;
      if (quantity < 1 || quantity > 0x7b0 || byteCount !== Math.ceil(quantity / 8) || pdu.length < 6 + byteCount) return exceptionPdu(fc, 3);
      if (!map.exists('coil', address, quantity)) return exceptionPdu(fc, 2);
      for (let i = 0; i < quantity; i++) map.setBit('coil', address + i, ((pdu[6 + (i >> 3)]! >> (i & 7)) & 1) === 1);
      onWrite?.('coil', address, quantity);
      return Buffer.from(pdu.subarray(0, 5));
    }
    case 16: {
      const byteCount = pdu[5] ?? 0;
      if (quantity < 1 || quantity > 123 || byteCount !== quantity * 2 || pdu.length < 6 + byteCount) return exceptionPdu(fc, 3);
      if (!map.exists('holding-register', address, quantity)) return exceptionPdu(fc, 2);
      for (let i = 0; i < quantity; i++) map.words['holding-register'][address + i] = pdu.readUInt16BE(6 + i * 2);
      onWrite?.('holding-register', address, quantity);
      return Buffer.from(pdu.subarray(0, 5));
    }
    default:
      return exceptionPdu(fc, 1);
  }
}

/** Modbus serial line: the length of a request frame (address .. CRC), or 0 if not yet known, -1 if not a request. */
export function rtuRequestLength(buf: Buffer): number {
  if (buf.length < 2) return 0;
  const fc = buf[1]!;
  if (fc >= 1 && fc <= 6) return 8;
  if (fc === 15 || fc === 16) return buf.length < 7 ? 0 : 9 + buf[6]!;
  return -1;
}
