import { describeAddress, isBitTable, type Table } from './address.js';
import { PROTOCOL_LIMITS } from './block-planner.js';
import type { DeviceStats } from './device-stats.js';
import { errorKind } from './error-codes.js';
import { ModbusError, normaliseError } from './modbus-errors.js';
import type { ModbusLink } from './modbus-link.js';
import type { RequestQueue } from './request-queue.js';

/** "holding 101-125 on unit 3 @ 10.0.0.7:502": register numbers (1-based) as on data sheets. */
export function describeRequest(table: Table, start: number, count: number, unit: number, label: string): string {
  const first = describeAddress(table, start);
  return `${count > 1 ? `${first}-${start + count}` : first} on unit ${unit} @ ${label}`;
}

/**
 * One device's view of its link: every request goes through the bus queue, is checked against
 * the protocol limits first (modbus-serial does not check quantities), retried as configured,
 * timed and counted, and fails with a ModbusError that says what and where.
 */
export class DeviceLink {
  constructor(
    private readonly link: ModbusLink,
    private readonly queue: RequestQueue,
    private readonly unit: number,
    private readonly timeoutMs: number,
    private readonly retries: number,
    private readonly stats: DeviceStats,
  ) {}

  get label(): string {
    return this.link.label;
  }

  /** Reads a block: booleans for bit tables, register words otherwise. */
  read(table: Table, start: number, count: number, points: number, urgent = false): Promise<boolean[] | number[]> {
    checkQuantity(table, start, count, this.describe(table, start, count));
    return this.withRetries(table, start, count, points, urgent, () => this.readOnce(table, start, count));
  }

  /** Runs several requests as one job on the bus (read-modify-write, write + read-back). */
  exclusive<T>(fn: (single: SingleRequests) => Promise<T>): Promise<T> {
    return this.queue.run(() => fn(this.single), true);
  }

  describe(table: Table, start: number, count: number): string {
    return describeRequest(table, start, count, this.unit, this.link.label);
  }

  /** Requests without queueing or retries, for use inside `exclusive`. */
  private readonly single: SingleRequests = {
    read: (table, start, count) => {
      checkQuantity(table, start, count, this.describe(table, start, count));
      return this.timed(table, start, count, 0, () => this.readOnce(table, start, count));
    },
    writeCoil: (address, value) => this.timed('coil', address, 1, 0, () => this.link.writeCoil(this.unit, address, value, this.timeoutMs)),
    writeRegisters: (address, values) => {
      // Modbus app. protocol 6.12: 1..123 registers per write.
      if (values.length < 1 || values.length > 123) {
        throw new ModbusError(
          'E_MODBUS_BAD_REQUEST',
          `cannot write ${values.length} registers in one request (1..123) at ${this.describe('holding-register', address, values.length)}`,
        );
      }
      return this.timed('holding-register', address, values.length, 0, () => this.link.writeRegisters(this.unit, address, values, this.timeoutMs));
    },
  };

  private readOnce(table: Table, start: number, count: number): Promise<boolean[] | number[]> {
    return isBitTable(table)
      ? this.link.readBits(this.unit, table, start, count, this.timeoutMs)
      : this.link.readRegisters(this.unit, table, start, count, this.timeoutMs);
  }

  private async withRetries<T>(table: Table, start: number, count: number, points: number, urgent: boolean, op: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.queue.run(() => this.timed(table, start, count, points, op), urgent);
      } catch (err) {
        const e = err as ModbusError;
        const last = attempt >= this.retries;
        // Exceptions are answers, not accidents; a timeout repeated on a serial line would hold
        // every other device on it for another timeout.
        const retryable = e.code === 'E_MODBUS_BAD_FRAME' || e.code === 'E_MODBUS_CONNECTION' || (e.code === 'E_MODBUS_TIMEOUT' && !this.link.serialLine);
        if (last || !retryable) throw e;
      }
    }
  }

  private async timed<T>(table: Table, start: number, count: number, points: number, op: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      const result = await op();
      this.stats.request(performance.now() - t0, points);
      return result;
    } catch (err) {
      const e = normaliseError(err, this.describe(table, start, count), this.timeoutMs);
      this.stats.error(errorKind(e.code));
      throw e;
    }
  }
}

export interface SingleRequests {
  read(table: Table, start: number, count: number): Promise<boolean[] | number[]>;
  writeCoil(address: number, value: boolean): Promise<void>;
  writeRegisters(address: number, values: number[]): Promise<void>;
}

/** Modbus app. protocol 6.1-6.4: quantity 1..2000 bits / 1..125 registers, within the 65536 addresses. */
export function checkQuantity(table: Table, start: number, count: number, where: string): void {
  const max = isBitTable(table) ? PROTOCOL_LIMITS.maxBits : PROTOCOL_LIMITS.maxRegisters;
  if (!Number.isInteger(count) || count < 1 || count > max) {
    throw new ModbusError('E_MODBUS_BAD_REQUEST', `cannot read ${count} ${isBitTable(table) ? 'bits' : 'registers'} in one request (1..${max}) at ${where}`);
  }
  if (!Number.isInteger(start) || start < 0 || start + count > 65_536) {
    throw new ModbusError('E_MODBUS_BAD_REQUEST', `the read runs outside addresses 0..65535 at ${where}`);
  }
}
