import { EventEmitter } from 'node:events';
import { SerialPort } from 'serialport';
import { crc16 } from './crc16.js';

export interface RtuLineSettings {
  path: string;
  baudRate: number;
  parity: 'none' | 'even' | 'odd';
  dataBits: 7 | 8;
  stopBits: 1 | 2;
}

/**
 * Below this an answer may still be arriving: USB RS-485 adapters deliver in chunks (an FTDI's
 * latency timer is 16 ms) and so does a pty, so the spec's t3.5 (1.75 ms above 19200 baud) would
 * cut real answers in two.
 */
const GAP_FLOOR_MS = 20;
/** Modbus serial line 2.5.1.1: an RTU frame is at most 256 bytes. */
const MAX_FRAME = 256;

/**
 * The serial end of an RTU line, in the shape modbus-serial's client takes as its port
 * (`new ModbusRTU(port)`: open/close/write/isOpen, `data` events carrying one answer frame).
 *
 * Hand-written because modbus-serial's RTUBufferedPort cannot survive noise: it has no destroy
 * (the client's destroy leaves the descriptor and the port lock held, so a re-open fails with
 * "Cannot lock port" for good), and it keeps stale bytes across requests, so the rest of a
 * garbled or late answer can be taken as the answer to the next request. Here:
 * - every request starts with an empty receive buffer (bytes before it cannot be its answer);
 * - an answer is a frame of the expected unit, function (or exception) and length whose CRC is
 *   right, found anywhere in what arrived (leading noise is skipped);
 * - when the line goes quiet (t3.5, at least GAP_FLOOR_MS) with a broken answer (right unit and
 *   function, wrong CRC or length), it is handed over so the client fails that request at once
 *   instead of waiting for its timeout; noise that holds no answer is dropped;
 * - bytes outside a transaction (inter-frame garbage, late answers) are dropped and counted;
 * - `quiet()` waits for silence and flushes the OS buffers before the line is used again.
 */
export class RtuLinePort extends EventEmitter {
  /** modbus-serial's client keeps its transaction ids on the port. */
  _transactionIdRead = 1;
  _transactionIdWrite = 1;
  /** Bytes that were not part of an answer (noise, garbage, late or broken answers). */
  discarded = 0;
  private readonly serial: SerialPort;
  private readonly gapMs: number;
  private rx: Buffer = Buffer.alloc(0);
  private expect: { unit: number; fc: number; length: number } | undefined;
  private gapTimer: NodeJS.Timeout | undefined;
  private lastByteAt = 0;
  /** Settles when the last open() has finished (either way). */
  private opening: Promise<void> = Promise.resolve();

  constructor(settings: RtuLineSettings) {
    super();
    this.serial = new SerialPort({ ...settings, autoOpen: false });
    this.serial.on('data', (chunk: Buffer) => this.onData(chunk));
    this.serial.on('error', (err: Error) => this.emit('error', err));
    this.serial.on('close', () => this.emit('close'));
    // Modbus serial line 2.5.1.1: t3.5 = 3.5 characters of 11 bits, fixed at 1.75 ms above 19200 baud.
    const t35 = settings.baudRate > 19_200 ? 1.75 : (3.5 * 11 * 1000) / settings.baudRate;
    this.gapMs = Math.max(GAP_FLOOR_MS, t35);
  }

  get isOpen(): boolean {
    return this.serial.isOpen;
  }

  /** The silence (ms) that ends a frame on this line. */
  get gap(): number {
    return this.gapMs;
  }

  open(callback: (err?: Error | null) => void): void {
    let opened!: () => void;
    this.opening = new Promise<void>((r) => {
      opened = r;
    });
    this.serial.open((err) => {
      opened();
      callback(err);
    });
  }

  /**
   * Closes the port and calls back once the descriptor (and its lock) is released. A close
   * asked while the port is still opening (a connect that timed out) waits for the open to end,
   * or the descriptor would outlive the close and every later open fail with "Cannot lock port".
   */
  close(callback?: (err?: Error | null) => void): void {
    this.endTransaction();
    void this.opening.then(() => {
      if (!this.serial.isOpen) {
        callback?.();
        return;
      }
      this.serial.close((err) => callback?.(err));
    });
  }

  /** modbus-serial's destroy() calls this; closing is the only clean way to let go of a tty. */
  destroy(): void {
    this.close();
  }

  write(data: Buffer): void {
    // A new request: nothing that came before can be its answer.
    this.discard();
    this.expect = { unit: data[0]!, fc: data[1]!, length: answerLength(data) };
    this.lastByteAt = performance.now();
    this.serial.write(data);
  }

  /**
   * Ends the current transaction, waits until the line has been silent for one frame gap (at
   * most `maxMs`), then drops what arrived and flushes the OS buffers (tcflush), so the rest of a
   * broken answer can neither collide with nor answer the next request.
   */
  async quiet(maxMs: number): Promise<void> {
    this.endTransaction();
    const until = performance.now() + maxMs;
    for (;;) {
      const now = performance.now();
      const idle = now - this.lastByteAt;
      if (idle >= this.gapMs || now >= until) break;
      await new Promise((r) => setTimeout(r, Math.min(this.gapMs - idle, until - now) + 1));
    }
    this.discard();
    if (this.serial.isOpen) await new Promise<void>((r) => this.serial.flush(() => r()));
  }

  private onData(chunk: Buffer): void {
    this.lastByteAt = performance.now();
    if (!this.expect) {
      this.discarded += chunk.length;
      return;
    }
    this.rx = this.rx.length === 0 ? chunk : Buffer.concat([this.rx, chunk]);
    const found = findFrame(this.rx, this.expect);
    if (found) {
      this.discarded += this.rx.length - found.length;
      this.deliver(found);
      return;
    }
    if (this.rx.length > 2 * MAX_FRAME) {
      this.deliver(this.rx);
      return;
    }
    this.armGapTimer();
  }

  /**
   * When the line has been quiet for one frame gap without a valid answer (Modbus serial line
   * 2.5.1.1: a frame ends with t3.5 of silence):
   * - if what came holds the start of an answer (the expected unit, then the function or its
   *   exception), that broken frame is handed over: the client fails this request at once with
   *   a CRC or length error (serial line 2.4.1: a frame error ends the transaction);
   * - otherwise it is noise: dropped, and the answer is still awaited (until the timeout).
   * Silence is trusted only if the timer fired on time: a late timer means the event loop was
   * busy and bytes may still be waiting to be read, so it looks again.
   */
  private armGapTimer(): void {
    clearTimeout(this.gapTimer);
    const due = performance.now() + this.gapMs;
    this.gapTimer = setTimeout(() => {
      const expect = this.expect;
      if (!expect || this.rx.length === 0) return;
      if (performance.now() - due > this.gapMs / 2) {
        this.armGapTimer();
        return;
      }
      const start = frameStart(this.rx, expect);
      if (start < 0) {
        this.discard();
        return;
      }
      this.discarded += start;
      this.deliver(this.rx.subarray(start, start + MAX_FRAME));
    }, this.gapMs);
  }

  private deliver(frame: Buffer): void {
    this.endTransaction();
    this.rx = Buffer.alloc(0);
    this.emit('data', frame);
  }

  private endTransaction(): void {
    this.expect = undefined;
    clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
  }

  private discard(): void {
    this.discarded += this.rx.length;
    this.rx = Buffer.alloc(0);
  }
}

/** Modbus app. protocol 6.1-6.12: the length of a normal answer to a request frame (0 = unknown). */
export function answerLength(request: Uint8Array): number {
  const fc = request[1];
  const quantity = request.length >= 6 ? (request[4]! << 8) | request[5]! : 0;
  switch (fc) {
    case 1:
    case 2:
      return 5 + Math.ceil(quantity / 8); // unit, fc, byte count, bits, CRC
    case 3:
    case 4:
      return 5 + 2 * quantity;
    case 5:
    case 6:
    case 15:
    case 16:
      return 8; // echo of address and value/quantity
    default:
      return 0;
  }
}

/** Where an answer of the expected unit and function (or its exception) starts, or −1. */
export function frameStart(rx: Buffer, expect: { unit: number; fc: number }): number {
  for (let i = 0; i + 1 < rx.length; i++) {
    if (rx[i] === expect.unit && (rx[i + 1] === expect.fc || rx[i + 1] === (expect.fc | 0x80))) return i;
  }
  return -1;
}

/** The first answer of the expected unit and function (or its exception, fc | 0x80) with a valid CRC. */
export function findFrame(rx: Buffer, expect: { unit: number; fc: number; length: number }): Buffer | undefined {
  for (let i = 0; i + 5 <= rx.length; i++) {
    if (rx[i] !== expect.unit) continue;
    const fc = rx[i + 1];
    const length = fc === expect.fc ? expect.length : fc === (expect.fc | 0x80) ? 5 : 0;
    if (length === 0 || i + length > rx.length) continue;
    if (crcOk(rx, i, length)) return rx.subarray(i, i + length);
  }
  return undefined;
}

function crcOk(buf: Buffer, start: number, length: number): boolean {
  const frame = buf.subarray(start, start + length);
  return crc16(frame, length - 2) === frame.readUInt16LE(length - 2);
}
