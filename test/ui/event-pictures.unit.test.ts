import { describe, expect, it } from 'vitest';
import { EventPictures } from '../../gateway/ui/event-pictures.js';

describe('EventPictures', () => {
  it('keeps each picture in a block of its own size, not the pool slab it arrived in', () => {
    const pictures = new EventPictures({ maxCount: 300, maxBytes: 32 * 1024 * 1024 });
    for (let i = 0; i < 300; i++) {
      // As httpRequest hands a small JPEG over: Buffer.concat of one chunk, a slice of Node's 8 KiB pool.
      const picture = Buffer.concat([Buffer.from([0xff, 0xd8, i & 0xff, 0xff, 0xd9])]);
      pictures.add(`e${i}`, picture);
    }
    const blocks = new Set<ArrayBufferLike>();
    let held = 0;
    for (let i = 0; i < 300; i++) {
      const p = pictures.get(`e${i}`)!;
      expect(p[2]).toBe(i & 0xff);
      blocks.add(p.buffer);
      held += p.buffer.byteLength;
    }
    // Without the copy the 300 pictures are views of shared pool blocks of 8 KiB each.
    expect(blocks.size).toBe(300);
    expect(held).toBe(300 * 5);
  });

  it('still drops the oldest past maxCount', () => {
    const pictures = new EventPictures({ maxCount: 2, maxBytes: 1024 });
    for (const id of ['a', 'b', 'c']) pictures.add(id, Buffer.from(id));
    expect([pictures.has('a'), pictures.has('b'), pictures.has('c')]).toEqual([false, true, true]);
  });
});
