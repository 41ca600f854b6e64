import type { Duplex } from 'node:stream';
import { crc16 } from './crc16.js';
import { respond } from './fault-responder.js';
import { rtuRequestLength } from './pdu-handler.js';
import type { SimulatedDevice } from './simulated-device.js';

export type Framing = 'mbap' | 'rtu';
export type UnitLookup = (unit: number) => SimulatedDevice | undefined;

/**
 * Serves Modbus requests arriving on a byte stream (a TCP socket or a pty).
 *  - mbap (Modbus TCP, Messaging Implementation Guide 3.1.3): 7-byte header, transaction id
 *    echoed, protocol id 0, length = unit + PDU. A request for a unit nobody simulates gets
 *    no answer, as with a device that is not there.
 *  - rtu (Modbus serial line 2.5.1): address, PDU, CRC. Frames are cut by function code; a bad
 *    CRC or a silence of more than t3.5 (taken as 20 ms, generous for a pty) starts over.
 */
export function serveStream(stream: Duplex, framing: Framing, lookup: UnitLookup, canDrop: boolean): void {
  let buf: Buffer = Buffer.alloc(0);
  let lastRx = 0;
  const drop = () => {
    if (canDrop) stream.destroy();
  };
  stream.on('error', () => stream.destroy());
  stream.on('data', (chunk: Buffer) => {
    const now = Date.now();
    if (framing === 'rtu' && now - lastRx > 20) buf = Buffer.alloc(0);
    lastRx = now;
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    buf = framing === 'mbap' ? takeMbap(buf, stream, lookup, drop) : takeRtu(buf, stream, lookup, drop);
  });
}

function takeMbap(buf: Buffer, stream: Duplex, lookup: UnitLookup, drop: () => void): Buffer {
  while (buf.length >= 8) {
    const length = buf.readUInt16BE(4);
    if (buf.readUInt16BE(2) !== 0 || length < 2 || length > 254) {
      // Not Modbus TCP: the stream cannot be resynchronised.
      stream.destroy();
      return Buffer.alloc(0);
    }
    if (buf.length < 6 + length) break;
    const tid = buf.readUInt16BE(0);
    const unit = buf[6]!;
    const pdu = buf.subarray(7, 6 + length);
    buf = buf.subarray(6 + length);
    const device = lookup(unit);
    if (!device) continue;
    respond(device, pdu, {
      drop,
      send: (out) => {
        if (stream.destroyed) return;
        const frame = Buffer.allocUnsafe(7 + out.length);
        frame.writeUInt16BE(tid, 0);
        frame.writeUInt16BE(0, 2);
        frame.writeUInt16BE(out.length + 1, 4);
        frame[6] = unit;
        out.copy(frame, 7);
        stream.write(frame);
      },
    });
  }
  return buf;
}

function takeRtu(buf: Buffer, stream: Duplex, lookup: UnitLookup, drop: () => void): Buffer {
  for (;;) {
    const length = rtuRequestLength(buf);
    if (length === 0 || buf.length < length) return buf;
    if (length < 0 || crc16(buf, length - 2) !== buf.readUInt16LE(length - 2)) {
      buf = buf.subarray(1);
      continue;
    }
    const unit = buf[0]!;
    const pdu = Buffer.from(buf.subarray(1, length - 2));
    buf = buf.subarray(length);
    const device = lookup(unit);
    // Modbus serial line 2.2: unit 0 is broadcast (no reply); others answer only their own address.
    if (!device || unit === 0) continue;
    respond(device, pdu, {
      drop,
      send: (out, garbled) => {
        if (stream.destroyed) return;
        const frame = Buffer.allocUnsafe(out.length + 3);
        frame[0] = unit;
        out.copy(frame, 1);
        const crc = crc16(frame, out.length + 1) ^ (garbled ? 0x5a5a : 0);
        frame.writeUInt16LE(crc, out.length + 1);
        stream.write(frame);
      },
    });
  }
}
