import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../core/atomic-file.js';
import { hashPassword } from './password-hash.js';

export const ROLES = ['viewer', 'technician', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const USER_NAME = /^[a-z][a-z0-9._-]{1,31}$/;

export interface User {
  name: string;
  role: Role;
  hash: string;
  createdAt: string;
  /** Sessions opened before this are no longer valid (password reset from the shell). */
  passwordChangedAt: string;
}

/** Whether `have` may do what needs `need` (admin ⊃ technician ⊃ viewer). */
export function roleAllows(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/**
 * The UI's users in one file (0600). The daemon re-reads it when it changes on disk, so
 * `gridgate passwd` from the shell takes effect at once.
 */
export class UserStore {
  private users = new Map<string, User>();
  private mtimeMs = -1;

  constructor(private readonly file: string) {}

  count(): number {
    this.refresh();
    return this.users.size;
  }

  get(name: string): User | undefined {
    this.refresh();
    return this.users.get(name);
  }

  list(): Array<Omit<User, 'hash'>> {
    this.refresh();
    return [...this.users.values()].map(({ hash: _hash, ...u }) => u);
  }

  /** Creates the user or sets the password (and role, if given) of an existing one. */
  async setPassword(name: string, password: string, role?: Role): Promise<User> {
    this.refresh();
    const now = new Date().toISOString();
    const old = this.users.get(name);
    const user: User = {
      name,
      role: role ?? old?.role ?? 'viewer',
      hash: await hashPassword(password),
      createdAt: old?.createdAt ?? now,
      passwordChangedAt: now,
    };
    this.users.set(name, user);
    this.save();
    return user;
  }

  setRole(name: string, role: Role): void {
    const u = this.get(name);
    if (!u) throw new Error(`no user ${name}`);
    this.users.set(name, { ...u, role });
    this.save();
  }

  remove(name: string): boolean {
    this.refresh();
    const had = this.users.delete(name);
    if (had) this.save();
    return had;
  }

  private refresh(): void {
    if (!existsSync(this.file)) return;
    const m = statSync(this.file).mtimeMs;
    if (m === this.mtimeMs) return;
    const doc = JSON.parse(readFileSync(this.file, 'utf8')) as { users: User[] };
    this.users = new Map(doc.users.map((u) => [u.name, u]));
    this.mtimeMs = m;
  }

  private save(): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    writeFileAtomic(this.file, `${JSON.stringify({ users: [...this.users.values()] }, null, 2)}\n`, 0o600);
    this.mtimeMs = statSync(this.file).mtimeMs;
  }
}
