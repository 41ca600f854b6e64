/**
 * The pictures of recent events, so the UI can show them after the uplink has sent (and the
 * outbox dropped) them. Bounded by count and bytes; the oldest go first.
 */
export class EventPictures {
  private readonly pictures = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly o: { maxCount: number; maxBytes: number } = { maxCount: 300, maxBytes: 32 * 1024 * 1024 }) {}

  add(id: string, picture: Buffer): void {
    if (picture.length > this.o.maxBytes) return;
    this.remove(id);
    this.pictures.set(id, ownCopy(picture));
    this.bytes += picture.length;
    while (this.pictures.size > this.o.maxCount || this.bytes > this.o.maxBytes) this.remove(this.pictures.keys().next().value!);
  }

  get(id: string): Buffer | undefined {
    return this.pictures.get(id);
  }

  has(id: string): boolean {
    return this.pictures.has(id);
  }

  private remove(id: string): void {
    const old = this.pictures.get(id);
    if (!old) return;
    this.bytes -= old.length;
    this.pictures.delete(id);
  }
}

/**
 * The picture in a block of its own. A small picture arrives as a slice of a larger block (Node's
 * 8 KiB Buffer pool, through Buffer.concat of the HTTP answer), and a kept slice keeps its whole
 * block: up to 300 slabs of 8 KiB (2.4 MiB) for the small pictures of the demo site (the heap
 * snapshots in docs/operations.md found them pinning slabs). An unpooled copy holds just the picture.
 */
function ownCopy(picture: Buffer): Buffer {
  if (picture.byteOffset === 0 && picture.buffer.byteLength === picture.length) return picture;
  const own = Buffer.allocUnsafeSlow(picture.length);
  picture.copy(own);
  return own;
}
