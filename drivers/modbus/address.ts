/**
 * Modbus addressing. Internally every address is the 0-based protocol address of the PDU
 * (Modbus app. protocol 4.3: "data items are addressed from 0 to 65535"). Profiles may also use
 * the 1-based "register number" of data sheets or the Modicon 5/6-digit notation (40101 =
 * holding register number 101 = protocol address 100); both are converted here, explicitly.
 */

export const TABLES = ['coil', 'discrete-input', 'input-register', 'holding-register'] as const;
export type Table = (typeof TABLES)[number];

/** How an address is written in a profile. */
export type AddressInput = number | string | { oneBased: number };

/** Modicon reference prefix digit → table (0xxxx coils, 1xxxx inputs, 3xxxx input regs, 4xxxx holding). */
const MODICON_TABLE: Record<string, Table> = { '0': 'coil', '1': 'discrete-input', '3': 'input-register', '4': 'holding-register' };

export interface ResolvedAddress {
  table: Table;
  /** 0-based protocol address. */
  address: number;
}

/** Turns a profile address (and optional table) into table + 0-based address, or says why not. */
export function resolveAddress(table: Table | undefined, input: AddressInput): ResolvedAddress | string {
  if (typeof input === 'number') {
    if (!Number.isInteger(input) || input < 0 || input > 65_535) return `address ${input} must be a 0-based integer 0..65535`;
    if (!table) return 'a numeric (0-based) address needs a table';
    return { table, address: input };
  }
  if (typeof input === 'object') {
    const n = input.oneBased;
    if (!Number.isInteger(n) || n < 1 || n > 65_536) return `oneBased ${n} must be an integer 1..65536`;
    if (!table) return 'a oneBased address needs a table';
    return { table, address: n - 1 };
  }
  // Modicon notation: 5 digits (x0001..x9999) or 6 digits (x00001..x65536).
  const m = /^([0134])(\d{4,5})$/.exec(input);
  if (!m) return `address "${input}" is not a Modicon reference like 40101 or 400101 (use a number for a 0-based address)`;
  const implied = MODICON_TABLE[m[1]!]!;
  const number = Number(m[2]);
  if (number < 1 || number > 65_536) return `address "${input}" has register number ${number}, outside 1..65536`;
  if (table && table !== implied) return `address "${input}" is in the ${implied} table but the point says table ${table}`;
  return { table: implied, address: number - 1 };
}

/** True for the 1-bit tables. */
export function isBitTable(table: Table): boolean {
  return table === 'coil' || table === 'discrete-input';
}

/** Short name for messages, as technicians say it ("holding 101" is register number 101 = address 100). */
export function describeAddress(table: Table, address: number): string {
  const short = { coil: 'coil', 'discrete-input': 'discrete input', 'input-register': 'input', 'holding-register': 'holding' }[table];
  return `${short} ${address + 1}`;
}
