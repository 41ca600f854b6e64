import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { redactDoc } from './redact.js';

export interface AuditEntry {
  ts: string;
  /** User name, `(anonymous)` or `shell`. */
  who: string;
  address?: string;
  action: string;
  target?: string;
  outcome: 'ok' | 'refused' | 'failed';
  reason?: string;
  /** What changed, secrets redacted. */
  diff?: unknown;
}

/**
 * Every change and every refused attempt, one JSON line each, appended (O_APPEND) and fsynced.
 * The file is never rewritten: there is no API to edit or delete entries.
 */
export class AuditLog {
  constructor(private readonly file: string) {}

  append(entry: Omit<AuditEntry, 'ts'>): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const line = `${JSON.stringify({ ts: new Date().toISOString(), ...redactDoc(entry) })}\n`;
    const fd = openSync(this.file, 'a', 0o600);
    try {
      writeSync(fd, line);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** The newest entries first. */
  recent(limit = 200): AuditEntry[] {
    if (!existsSync(this.file)) return [];
    const lines = readFileSync(this.file, 'utf8').trimEnd().split('\n').filter(Boolean);
    return lines
      .slice(-limit)
      .reverse()
      .map((l) => JSON.parse(l) as AuditEntry);
  }
}
