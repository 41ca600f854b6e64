import type { Socket } from 'node:net';

/**
 * Reads the MQTT fixed headers of a byte stream and tells when a packet declares more than
 * `cap()` bytes: aedes has no packet size limit, and an MQTT packet may declare up to 256 MB
 * (MQTT 3.1.1 section 2.2.3: four bytes of remaining length), from a client that has not even
 * logged in yet. Only headers are read; bodies are skipped by counting.
 */
export class PacketSizeScanner {
  /** Bytes of the current packet's body still to come; -1 while reading a fixed header. */
  private remaining = -1;
  private headerBytes = 0;
  private length = 0;
  private multiplier = 1;

  constructor(private readonly cap: () => number) {}

  /** Scans the next bytes; returns why the stream must stop, or undefined. */
  scan(chunk: Buffer): { declared?: number; reason: string } | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (this.remaining > 0) {
        const skip = Math.min(this.remaining, chunk.length - i);
        this.remaining -= skip;
        i += skip;
        continue;
      }
      if (this.remaining === 0) this.startHeader();
      const byte = chunk[i++]!;
      if (this.headerBytes++ === 0) continue; // the packet type and flags
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      if (byte & 0x80) {
        if (this.headerBytes >= 5) return { reason: 'malformed remaining length (more than 4 bytes, MQTT 2.2.3)' };
        continue;
      }
      const cap = this.cap();
      if (this.length > cap) return { declared: this.length, reason: `packet of ${this.length} bytes over the limit of ${cap}` };
      this.remaining = this.length;
    }
    return undefined;
  }

  private startHeader(): void {
    this.remaining = -1;
    this.headerBytes = 0;
    this.length = 0;
    this.multiplier = 1;
  }
}

/**
 * Puts a scanner on a socket the broker reads with `read()` (aedes reads on 'readable'): each
 * chunk is scanned as the broker takes it, and the socket is destroyed at the header of a
 * packet over the cap, before the broker buffers its body. Wrapping `read` of our own socket
 * rather than piping through a Transform keeps the broker on the socket directly (the extra
 * stream hop cost a third of the message rate in bench/mqtt.ts). test/mqtt/packet-size-guard
 * checks that a huge packet closes the connection.
 */
export function guardPacketSize(socket: Socket, cap: () => number, onRefused: (why: { declared?: number; reason: string }) => void): void {
  const scanner = new PacketSizeScanner(cap);
  const read = socket.read.bind(socket);
  socket.read = (size?: number) => {
    const chunk = read(size) as Buffer | null;
    if (chunk === null) return null;
    const refused = scanner.scan(chunk);
    if (!refused) return chunk;
    onRefused(refused);
    socket.destroy();
    return null;
  };
}
