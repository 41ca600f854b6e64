import { SerialPort } from 'serialport';
import { openPtyPair, type PtyPair } from './pty-pair.js';

/** How the next answers from the device are broken on their way to the gateway. */
export type Corruption =
  /** Last byte flipped: a CRC error. */
  | 'crc'
  /** Last three bytes lost: a short frame. */
  | 'short'
  /** Two noise bytes before the answer and one byte of it flipped (a spike on the line). */
  | 'noise'
  /** The answer intact, then garbage bytes after it (inter-frame garbage). */
  | 'trailing-garbage'
  /** The answer swallowed and only noise sent (a collision). */
  | 'only-noise';

/**
 * A serial line with noise on demand, for RTU tests against a device we did not write: two
 * socat pty pairs with a relay between them. The gateway opens `gateway`, the device (pymodbus)
 * opens `device`; requests pass unchanged, answers are cut into frames by their length (Modbus
 * app. protocol 6: byte count for FC 1-4, 8 bytes for FC 5/6/15/16, 5 for an exception) and the
 * next N are broken as asked. Noise can also be sent while the line is idle.
 */
export class NoisyLine {
  /** Answers passed (intact or broken). */
  answers = 0;
  /** Answers broken so far. */
  broken = 0;
  private readonly queue: Corruption[] = [];
  private always: Corruption | undefined;
  private pending: Buffer = Buffer.alloc(0);
  private seed = 0x2545f491;

  private constructor(
    private readonly gatewayPair: PtyPair,
    private readonly devicePair: PtyPair,
    private readonly toGateway: SerialPort,
    private readonly toDevice: SerialPort,
  ) {
    toGateway.on('data', (d: Buffer) => toDevice.write(d));
    toDevice.on('data', (d: Buffer) => {
      this.pending = Buffer.concat([this.pending, d]);
      // Cut answers by their structure, not by silence: on a busy machine a silence timer
      // would split one answer in two and break a frame it was not asked to.
      for (let n = answerSize(this.pending); n > 0 && this.pending.length >= n; n = answerSize(this.pending)) {
        this.forward(this.pending.subarray(0, n));
        this.pending = this.pending.subarray(n);
      }
    });
  }

  static async open(): Promise<NoisyLine> {
    const gatewayPair = await openPtyPair();
    const devicePair = await openPtyPair();
    const open = (path: string) =>
      new Promise<SerialPort>((resolve, reject) => {
        const port: SerialPort = new SerialPort({ path, baudRate: 115_200, lock: false }, (err) => (err ? reject(err) : resolve(port)));
      });
    return new NoisyLine(gatewayPair, devicePair, await open(gatewayPair.device), await open(devicePair.gateway));
  }

  /** The path the gateway opens. */
  get gateway(): string {
    return this.gatewayPair.gateway;
  }

  /** The path the device (the RTU slave) opens. */
  get device(): string {
    return this.devicePair.device;
  }

  /** Breaks the next `frames` answers this way. */
  corrupt(kind: Corruption, frames = 1): void {
    for (let i = 0; i < frames; i++) this.queue.push(kind);
  }

  /** Breaks every answer this way until `quiet()`. */
  noisy(kind: Corruption): void {
    this.always = kind;
  }

  /** Stops all noise (pending and continuous). */
  quiet(): void {
    this.always = undefined;
    this.queue.length = 0;
  }

  /** Sends bytes to the gateway now, between frames (garbage on an idle line). */
  inject(bytes: Buffer): void {
    this.toGateway.write(bytes);
  }

  async close(): Promise<void> {
    await Promise.all([this.toGateway, this.toDevice].map((p) => new Promise<void>((r) => (p.isOpen ? p.close(() => r()) : r()))));
    await this.gatewayPair.close();
    await this.devicePair.close();
  }

  private forward(answer: Buffer): void {
    this.answers++;
    const kind = this.queue.shift() ?? this.always;
    if (!kind) {
      this.toGateway.write(answer);
      return;
    }
    this.broken++;
    this.toGateway.write(breakFrame(answer, kind, () => this.random()));
  }

  /** xorshift32: reproducible noise. */
  private random(): number {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed & 0xff;
  }
}

/** The size of the RTU answer at the head of `buf` (0 = not known yet). */
function answerSize(buf: Buffer): number {
  if (buf.length < 3) return 0;
  const fc = buf[1]!;
  if (fc & 0x80) return 5;
  if (fc >= 1 && fc <= 4) return 5 + buf[2]!;
  if (fc === 5 || fc === 6 || fc === 15 || fc === 16) return 8;
  return buf.length; // unknown function: pass on what came
}

/** The answer as the gateway receives it after the corruption. */
export function breakFrame(answer: Buffer, kind: Corruption, random: () => number): Buffer {
  const out = Buffer.from(answer);
  switch (kind) {
    case 'crc':
      out[out.length - 1] = out[out.length - 1]! ^ 0x5a;
      return out;
    case 'short':
      return out.subarray(0, Math.max(1, out.length - 3));
    case 'noise': {
      const at = 2 + (random() % Math.max(1, out.length - 4));
      out[at] = out[at]! ^ (1 + (random() % 255));
      return Buffer.concat([Buffer.from([random(), random()]), out]);
    }
    case 'trailing-garbage':
      return Buffer.concat([out, Buffer.from(Array.from({ length: 7 }, random))]);
    case 'only-noise':
      return Buffer.from(Array.from({ length: 3 + (random() % 12) }, random));
  }
}
