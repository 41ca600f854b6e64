import type { Counter } from 'prom-client';
import type { IngestRejectReason } from '../devices/driver.js';

/** Devices tracked at most (a bound against a flood of made-up device ids; real sites have hundreds). */
const MAX_DEVICES = 10_000;

/**
 * Input refused per device and reason: counted into gridgate_ingest_rejected_total{device,reason}
 * and kept as plain numbers for /api/status (`ingestRejected`), so a technician sees what a
 * device sends that the gateway refuses, without reading logs.
 */
export class IngestRejections {
  private readonly counts = new Map<string, Partial<Record<IngestRejectReason, number>>>();

  constructor(private readonly counter: Counter<'device' | 'reason'>) {}

  add(device: string, reason: IngestRejectReason, n = 1): void {
    let c = this.counts.get(device);
    if (!c) {
      if (this.counts.size >= MAX_DEVICES) return;
      c = {};
      this.counts.set(device, c);
    }
    c[reason] = (c[reason] ?? 0) + n;
    this.counter.inc({ device, reason }, n);
  }

  /** Per device, the counts by reason (only reasons seen). */
  snapshot(): Record<string, Partial<Record<IngestRejectReason, number>>> {
    const out: Record<string, Partial<Record<IngestRejectReason, number>>> = {};
    for (const [device, c] of this.counts) out[device] = { ...c };
    return out;
  }
}
