import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../core/atomic-file.js';

/** The UI languages (the front end has the same two resource files). */
export const UI_LANGUAGES = ['zh-CN', 'en'] as const;
export type UiLanguage = (typeof UI_LANGUAGES)[number];

export interface UserPrefs {
  lang?: UiLanguage;
}

/**
 * Each user's UI preferences (the language), kept on the box so they follow the technician from
 * the phone to the laptop. One small JSON file, written atomically; a broken file is read as empty
 * (preferences are a convenience, never a reason to refuse a login).
 */
export class UserPrefsStore {
  private cache: Record<string, UserPrefs> | undefined;

  constructor(private readonly file: string) {}

  get(user: string): UserPrefs {
    return this.load()[user] ?? {};
  }

  set(user: string, prefs: UserPrefs): UserPrefs {
    const all = this.load();
    all[user] = { ...all[user], ...prefs };
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    writeFileAtomic(this.file, `${JSON.stringify(all, null, 1)}\n`);
    return all[user]!;
  }

  private load(): Record<string, UserPrefs> {
    if (this.cache) return this.cache;
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as unknown;
      this.cache = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, UserPrefs>) : {};
    } catch {
      this.cache = {};
    }
    return this.cache;
  }
}
