import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../core/atomic-file.js';
import type { DeviceTestResult } from './device-tester.js';

/** What the commissioning report says of a device's last test before save. */
export interface DeviceTestRecord {
  /** ISO time of the test. */
  at: string;
  by: string;
  ok: boolean;
  tookMs: number;
  status?: string;
  reading?: { point: string; value: unknown; unit?: string; quality?: string };
  /** The first problem, in the device's or driver's words (at most 300 characters). */
  error?: string;
  snapshot: boolean;
}

/** Devices remembered at most (the oldest test forgotten first): a site has a few hundred. */
const MAX_DEVICES = 2000;

/**
 * The last test before save of each device id, for the commissioning report ("last test read").
 * One small JSON file in the UI's state folder, written atomically, so a restart between the
 * tests and the hand-over keeps them; a broken file is read as empty (a report detail, never a
 * reason to refuse a test).
 */
export class DeviceTestLog {
  private cache: Record<string, DeviceTestRecord> | undefined;

  constructor(private readonly file: string) {}

  get(device: string): DeviceTestRecord | undefined {
    return this.load()[device];
  }

  record(device: string, by: string, result: DeviceTestResult, at = new Date()): DeviceTestRecord {
    const all = this.load();
    const r = result.reading;
    const rec: DeviceTestRecord = {
      at: at.toISOString(),
      by,
      ok: result.ok,
      tookMs: result.tookMs,
      snapshot: result.snapshot !== undefined,
      ...(result.status ? { status: result.status.status } : {}),
      ...(r ? { reading: { point: r.point, value: r.value, ...(r.unit ? { unit: r.unit } : {}), quality: r.quality } } : {}),
      ...(result.errors[0] ? { error: result.errors[0].slice(0, 300) } : {}),
    };
    delete all[device];
    all[device] = rec;
    const ids = Object.keys(all);
    for (const id of ids.slice(0, Math.max(0, ids.length - MAX_DEVICES))) delete all[id];
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    writeFileAtomic(this.file, `${JSON.stringify(all)}\n`);
    return rec;
  }

  private load(): Record<string, DeviceTestRecord> {
    if (this.cache) return this.cache;
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as unknown;
      this.cache = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, DeviceTestRecord>) : {};
    } catch {
      this.cache = {};
    }
    return this.cache;
  }
}
