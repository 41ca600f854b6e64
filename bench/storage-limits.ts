/**
 * The storage limits gridgate is compared with (run beside the peers, same machine, same time):
 * raw fsync rate of the data folder's file system, and a bare better-sqlite3 batched-insert loop
 * (WAL, synchronous=FULL) with one commit per 10 ms window, as the outbox does.
 * Usage: tsx bench/storage-limits.ts [dir]  → one JSON line.
 */
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const dir = mkdtempSync(join(process.argv[2] ?? tmpdir(), 'gg-storage-'));
try {
  // Raw fsync: 4 KiB appended and fsynced, for 3 s.
  const fd = openSync(join(dir, 'fsync.bin'), 'w');
  const block = Buffer.alloc(4096, 1);
  let fsyncs = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 3000) {
    writeSync(fd, block);
    fsyncSync(fd);
    fsyncs++;
  }
  const fsyncPerS = fsyncs / ((performance.now() - t0) / 1000);
  closeSync(fd);

  // Bare better-sqlite3: 100 readings per row is what gridgate stores; here one reading per row
  // (the classic loop) and 100 per row, each in transactions of 5,000 readings.
  const reading = JSON.stringify({
    id: '01HK0ZQ7A1B2C3D4E5F6G7H8J9',
    device: 'dev001',
    point: 'r17',
    ts: new Date().toISOString(),
    value: 35,
    quality: 'good',
  });
  const rates: Record<string, number> = {};
  for (const perRow of [1, 100]) {
    const db = new Database(join(dir, `bare-${perRow}.db`));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE r (row INTEGER PRIMARY KEY AUTOINCREMENT, ts_ms INTEGER, payload TEXT, n INTEGER)');
    const insert = db.prepare('INSERT INTO r (ts_ms, payload, n) VALUES (?, ?, ?)');
    const payload = Array(perRow).fill(reading).join(',');
    const tx = db.transaction((rows: number) => {
      for (let i = 0; i < rows; i++) insert.run(Date.now(), payload, perRow);
    });
    const total = 500_000;
    const t = performance.now();
    for (let done = 0; done < total; done += 5000) tx(5000 / perRow);
    rates[`bare_sqlite_readings_s_${perRow}_per_row`] = Math.round(total / ((performance.now() - t) / 1000));
    db.close();
  }
  console.log(JSON.stringify({ fsync_per_s: Math.round(fsyncPerS), ...rates, load: loadavg().map((l) => Number(l.toFixed(2))) }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
