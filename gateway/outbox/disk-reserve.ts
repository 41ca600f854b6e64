import { closeSync, fsyncSync, openSync, rmSync, statSync, writeSync } from 'node:fs';

/**
 * A ballast file beside the database. When the disk fills up, SQLite cannot even write the
 * deletions that would free space (they go to the WAL first); deleting the ballast gives it room
 * to acknowledge, drop the oldest telemetry and checkpoint. It is written again once there is
 * space.
 */
export class DiskReserve {
  constructor(
    private readonly path: string,
    private readonly bytes: number,
  ) {}

  get present(): boolean {
    try {
      return statSync(this.path).size >= this.bytes;
    } catch {
      return false;
    }
  }

  /** Writes the ballast if it is missing; false if the disk has no room for it (nothing is left behind). */
  ensure(): boolean {
    if (this.present) return true;
    let fd: number | undefined;
    try {
      fd = openSync(this.path, 'w', 0o600);
      const chunk = Buffer.alloc(64 * 1024);
      for (let written = 0; written < this.bytes; written += chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, this.bytes - written));
      fsyncSync(fd);
      return true;
    } catch {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      rmSync(this.path, { force: true });
      return false;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** Deletes the ballast; true if there was one to free. */
  release(): boolean {
    const had = this.present;
    rmSync(this.path, { force: true });
    return had;
  }
}
