import type Database from 'better-sqlite3';

/**
 * Small durable state that lives in the same SQLite file as the outbox (one file to back up,
 * one fsync policy): the site mode, and command results kept so a repeated command id is
 * answered with its first result instead of being carried out twice.
 */
export class SqliteStateStore {
  private readonly getStmt;
  private readonly setStmt;
  private readonly getResult;
  private readonly putResult;
  private readonly pruneResults;

  constructor(db: Database.Database) {
    this.getStmt = db.prepare('SELECT value FROM kv WHERE key = ?').pluck();
    this.setStmt = db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    this.getResult = db.prepare('SELECT result FROM command_results WHERE id = ?').pluck();
    this.putResult = db.prepare('INSERT OR REPLACE INTO command_results (id, at_ms, result) VALUES (?, ?, ?)');
    this.pruneResults = db.prepare('DELETE FROM command_results WHERE at_ms < ?');
  }

  get<T>(key: string): T | undefined {
    const text = this.getStmt.get(key) as string | undefined;
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  set(key: string, value: unknown): void {
    this.setStmt.run(key, JSON.stringify(value));
  }

  commandResult(id: string): string | undefined {
    return this.getResult.get(id) as string | undefined;
  }

  /** Keeps a command's result; results older than `keepMs` are forgotten (7 days by default). */
  rememberCommandResult(id: string, result: string, nowMs: number, keepMs = 7 * 86_400_000): void {
    this.putResult.run(id, nowMs, result);
    this.pruneResults.run(nowMs - keepMs);
  }
}
