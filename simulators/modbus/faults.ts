import type { Table } from '../../drivers/modbus/address.js';

/**
 * Faults a simulated device can be told to show, alone or together. They model what field
 * technicians meet: a device that is powered off (noAnswer), overloaded (slow), refuses
 * (exception), a noisy line (garbled, short), a flaky serial server (drop), a register map with
 * reserved addresses (holes: exception 02 for any read that touches them).
 */
export interface Faults {
  /** Never answer (the request is swallowed). */
  noAnswer?: boolean;
  /** Answer this many ms late. */
  delayMs?: number;
  /** Answer every request with this Modbus exception code (Modbus app. protocol 7). */
  exception?: number;
  /** Answer with bytes that are not a valid reply (wrong function code / bad CRC). */
  garbled?: boolean;
  /** Answer with a reply cut short (byte count promises more than is sent). */
  short?: boolean;
  /** Close the connection when a request arrives (TCP and RTU over TCP; a serial line just stays silent). */
  drop?: boolean;
  /** Addresses (0-based) that do not exist: a read touching one gets exception 02. */
  holes?: Array<{ table: Table; address: number }>;
}
