import type Database from 'better-sqlite3';
import type { CounterState } from '../core/plausible-counter.js';
import type { CounterStateStore } from '../devices/driver.js';

/** How often changed counter states are written (ms, monotonic): what a crash can lose. */
const FLUSH_EVERY_MS = 1000;

/**
 * Device counter states (continuous totals, last raw value, device time, pending suspicious
 * value) in the `kv` table of the outbox database, one row per `counter:<device>/<point>`, so a
 * gateway restart neither re-bases nor double counts a zone. Reads hit SQLite once per counter
 * (when a driver first sees it); writes are collected and committed in one transaction per
 * second and at stop, not per message. A crash loses at most that second; the next reading then
 * goes on from the stored raw value, so people counted in the lost second are still counted
 * (the increase is measured from the stored raw value), only a device reset within it is missed.
 */
export class SqliteCounterStore implements CounterStateStore {
  private readonly dirty = new Map<string, CounterState>();
  private readonly getStmt;
  private readonly setStmt;
  private readonly writeAll;
  private timer: NodeJS.Timeout | undefined;

  constructor(db: Database.Database) {
    this.getStmt = db.prepare('SELECT value FROM kv WHERE key = ?').pluck();
    this.setStmt = db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    this.writeAll = db.transaction((rows: Array<[string, string]>) => {
      for (const [key, value] of rows) this.setStmt.run(key, value);
    });
  }

  start(): void {
    this.timer = setInterval(() => this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  /** Writes what changed; called every second and by the gateway's stop (after the drivers stopped). */
  flush(): void {
    if (this.dirty.size === 0) return;
    const rows = [...this.dirty].map(([key, state]) => [key, JSON.stringify(state)] as [string, string]);
    this.dirty.clear();
    this.writeAll(rows);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
  }

  get(deviceId: string, point: string): CounterState | undefined {
    const key = keyOf(deviceId, point);
    const pending = this.dirty.get(key);
    if (pending) return structuredClone(pending);
    const text = this.getStmt.get(key) as string | undefined;
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as CounterState;
    } catch {
      return undefined; // a damaged row: the counter starts again from the device's value
    }
  }

  set(deviceId: string, point: string, state: CounterState): void {
    this.dirty.set(keyOf(deviceId, point), { ...state, pending: state.pending && { ...state.pending } });
  }
}

function keyOf(deviceId: string, point: string): string {
  return `counter:${deviceId}/${point}`;
}
