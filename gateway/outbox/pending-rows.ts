import type { Reading } from '../core/model.js';
import { ReadingJson } from './reading-json.js';

/** Rows taken for a commit: parallel arrays, one entry per row. */
export interface TakenRows {
  texts: string[];
  /** Readings per row. */
  counts: number[];
  /** UTF-8 bytes per row. */
  sizes: number[];
  /** Readings in all rows. */
  count: number;
  bytes: number;
  /** When the first of them was appended (ms since epoch). */
  since: number;
}

/**
 * Readings accepted but not committed yet, already as outbox rows: each reading is serialized
 * when it is appended and runs of `perRow` are joined into one text (a fragment of the telemetry
 * message's `readings` array). The Reading objects die young: holding them for the lazy commit
 * window (100 ms) got them promoted to the old generation at 50,000 readings/s, which is what
 * made the RSS grow; a row is one flat string instead of ~100 objects.
 */
export class PendingRows {
  private texts: string[] = [];
  private counts: number[] = [];
  private sizes: number[] = [];
  private bytes = 0;
  /** The row being filled (its readings' JSON). */
  private readonly open: string[] = [];
  /** Readings waiting, in closed rows and the open one. */
  count = 0;
  /** When the first waiting reading was appended (ms since epoch). */
  since = 0;
  private readonly json = new ReadingJson();

  constructor(private readonly perRow: number) {}

  add(readings: readonly Reading[], now: number): void {
    if (this.count === 0) this.since = now;
    const open = this.open;
    for (const r of readings) {
      open.push(this.json.stringify(r));
      if (open.length === this.perRow) this.closeRow();
    }
    this.count += readings.length;
  }

  /** Everything waiting, as rows (the open one closed), and empties the buffer. */
  take(): TakenRows {
    this.closeRow();
    const taken: TakenRows = { texts: this.texts, counts: this.counts, sizes: this.sizes, count: this.count, bytes: this.bytes, since: this.since };
    this.texts = [];
    this.counts = [];
    this.sizes = [];
    this.bytes = 0;
    this.count = 0;
    return taken;
  }

  private closeRow(): void {
    const open = this.open;
    if (open.length === 0) return;
    const text = open.length === 1 ? open[0]! : open.join(',');
    const size = Buffer.byteLength(text);
    this.texts.push(text);
    this.counts.push(open.length);
    this.sizes.push(size);
    this.bytes += size;
    open.length = 0;
  }
}
