import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../core/atomic-file.js';

export interface FailedLoginSummary {
  /** Wrong passwords for this user since the last successful login. */
  count: number;
  lastAddress: string;
  lastAt: string;
}

/**
 * Failed logins per existing user since that user's last successful login, kept in a file (0600)
 * so a restart does not hide an attack. The user is told at the next login (count, last address)
 * and the login's audit entry says it too. Unknown names are not recorded (no growth from
 * made-up names; the audit log has those attempts).
 */
export class FailedLogins {
  private data: Record<string, FailedLoginSummary> | undefined;

  constructor(private readonly file: string) {}

  record(user: string, address: string): void {
    const d = this.load();
    const prev = d[user];
    d[user] = { count: (prev?.count ?? 0) + 1, lastAddress: address.slice(0, 64), lastAt: new Date().toISOString() };
    this.save();
  }

  /** What happened since the last login, cleared (undefined when nothing). */
  take(user: string): FailedLoginSummary | undefined {
    const d = this.load();
    const s = d[user];
    if (!s) return undefined;
    delete d[user];
    this.save();
    return s;
  }

  forget(user: string): void {
    const d = this.load();
    if (!(user in d)) return;
    delete d[user];
    this.save();
  }

  private load(): Record<string, FailedLoginSummary> {
    if (!this.data) {
      try {
        this.data = existsSync(this.file) ? (JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, FailedLoginSummary>) : {};
      } catch {
        this.data = {};
      }
      this.data = Object.assign(Object.create(null) as Record<string, FailedLoginSummary>, this.data);
    }
    return this.data;
  }

  private save(): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    writeFileAtomic(this.file, `${JSON.stringify(this.data ?? {})}\n`, 0o600);
  }
}
