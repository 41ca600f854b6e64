import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { type Clock, monotonicMs } from '../core/clock.js';
import type { DiskReserve } from './disk-reserve.js';
import { DropRange } from './drop-range.js';
import type { FreeSpaceGuard } from './free-space-guard.js';
import type { DropNotice } from './outbox.js';
import { DROP_CHUNK, type OutboxLedger } from './outbox-ledger.js';

export interface DiskPressureOptions {
  db: Database.Database;
  ledger: OutboxLedger;
  /** Ballast released when the disk fills up (see disk-reserve.ts). */
  reserve?: DiskReserve | undefined;
  /** Below its minimum free space, readings are dropped before they are written. */
  freeSpace?: FreeSpaceGuard | undefined;
  /** Readings per row: the least freed on a full disk is DROP_CHUNK readings' worth of rows. */
  rowReadings: number;
  log: Logger;
  clock: Clock;
  /** Reports what had to be dropped (the outbox's drop listeners). */
  notifyDrop: (drop: DropNotice) => void;
}

/**
 * What the outbox does when its disk runs out: keeps the last free space for acknowledgements
 * and events (readings are dropped before they are written), releases the ballast file and drops
 * the older half of the waiting telemetry when a commit fails with a full disk, logs a failure
 * once when it starts and once when it ends, and puts the ballast back when there is room.
 */
export class DiskPressure {
  /** Set while commits fail: logged once when it starts and once when it ends. */
  private writeFailure: string | undefined;
  private lastReserveAttempt = Number.NEGATIVE_INFINITY; // monotonic ms

  constructor(private readonly o: DiskPressureOptions) {}

  /** Free space under the outbox is below the configured minimum; while it is, the WAL is cut back. */
  lowOnSpace(): boolean {
    const low = this.o.freeSpace?.low() ?? false;
    if (low) {
      try {
        // Acknowledged rows free pages inside the file; cutting the WAL back gives space to the disk.
        this.o.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // Retried at the next check.
      }
    }
    return low;
  }

  /** A commit that stored data went through: say so once if commits had been failing. */
  committed(): void {
    if (this.writeFailure === undefined) return;
    this.o.log.warn({ was: this.writeFailure }, 'outbox commits work again');
    this.writeFailure = undefined;
  }

  /** Logs a write failure once, and on a full disk frees room: the ballast, then the oldest waiting telemetry. */
  onWriteError(err: unknown): DropNotice['reason'] {
    const code = (err as { code?: string }).code ?? '';
    const diskFull = code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR');
    const what = diskFull ? 'disk full' : (err as Error).message;
    if (this.writeFailure !== what) {
      this.writeFailure = what;
      this.o.log.error({ err, code }, diskFull ? 'outbox commit failed: disk full' : 'outbox commit failed');
    }
    if (diskFull) {
      if (this.o.reserve?.release()) this.o.log.warn('disk full: released the reserve file to make room for deletions');
      this.freeDiskSpace();
    }
    return diskFull ? 'disk_full' : 'write_error';
  }

  /** Puts the ballast back when there is room (at most once a minute). */
  keepReserve(): void {
    const reserve = this.o.reserve;
    const now = monotonicMs(this.o.clock);
    if (!reserve || now - this.lastReserveAttempt < 60_000) return;
    this.lastReserveAttempt = now;
    if (!reserve.present && reserve.ensure()) this.o.log.info('reserve file written again');
  }

  /**
   * Drops the older half of the telemetry waiting for a batch, so the file has free pages again,
   * and truncates the WAL (on a full disk it cannot grow to its usual checkpoint size).
   */
  private freeDiskSpace(): void {
    const { db, ledger } = this.o;
    const range = new DropRange();
    let held = false;
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.transaction(() => {
        const target = Math.max(Math.ceil(DROP_CHUNK / this.o.rowReadings), Math.floor(ledger.unbatchedRows() / 2));
        ledger.dropUnbatched(target, range);
      })();
      held = true;
      db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (err) {
      this.o.log.error({ err }, 'could not free space in the outbox');
    }
    ledger.reload();
    // A transaction that rolled back dropped nothing.
    if (!held || range.empty) return;
    ledger.droppedTotals.telemetry += range.count;
    this.o.notifyDrop(range.notice('telemetry', 'disk_full'));
  }
}
