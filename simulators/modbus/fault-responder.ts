import { exceptionPdu } from './pdu-handler.js';
import type { SimulatedDevice } from './simulated-device.js';

/** What a server does with one request once the device's faults are applied. */
export interface ResponderIo {
  /** Sends a reply PDU; `garbled` asks the framing to also break its checksum (RTU). */
  send(pdu: Buffer, garbled: boolean): void;
  /** Closes the connection (RTU over TCP, Modbus TCP); a serial line ignores it. */
  drop(): void;
}

/** Answers a request as the device would, with its faults applied (shared by every framing). */
export function respond(device: SimulatedDevice, pdu: Buffer, io: ResponderIo): void {
  const f = device.faults;
  if (f.drop) {
    device.requests++;
    io.drop();
    return;
  }
  if (f.noAnswer) {
    device.requests++;
    return;
  }
  let out: Buffer;
  if (f.exception) {
    device.requests++;
    out = exceptionPdu(pdu[0] ?? 0, f.exception);
  } else {
    out = device.handle(pdu, Date.now());
  }
  if (f.garbled) {
    // Another function code and scrambled data: no client can take it for an answer.
    out = Buffer.from(out);
    out[0] = (out[0]! ^ 0x40) & 0x7f;
    for (let i = 1; i < out.length; i++) out[i] = (out[i]! * 37 + 11) & 0xff;
  }
  if (f.short) out = out.subarray(0, Math.max(1, out.length - 3));
  const garbled = f.garbled === true;
  if (f.delayMs) setTimeout(() => io.send(out, garbled), f.delayMs);
  else io.send(out, garbled);
}
