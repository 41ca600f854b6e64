import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEVICE_KINDS, DEVICE_STATUSES, EVENT_STATES, KNOWN_EVENT_TYPES, MODES, QUALITIES, SEVERITIES } from '../../gateway/core/model.js';
import { OVERLOAD_CAUSES } from '../../gateway/pipeline/overload-guard.js';
import en from '../../ui/locales/en.js';
import zh from '../../ui/locales/zh-CN.js';

const LOCALES: Record<string, Record<string, string>> = { en, 'zh-CN': zh };
const placeholders = (s: string) => [...s.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();

/** The front end's own files (no vendor code). */
function uiSources(dir = 'ui'): Array<{ file: string; text: string }> {
  const out: Array<{ file: string; text: string }> = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'locales') out.push(...uiSources(path));
    else if (entry.name.endsWith('.js') && entry.isFile()) out.push({ file: path, text: readFileSync(path, 'utf8') });
  }
  return out;
}

describe('UI texts in Simplified Chinese and English', () => {
  it('both languages have exactly the same keys, each with the same placeholders and no empty text', () => {
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    for (const key of Object.keys(en)) {
      expect(placeholders(zh[key]!), `placeholders of ${key}`).toEqual(placeholders(en[key]!));
      for (const [lang, texts] of Object.entries(LOCALES)) expect(texts[key]!.trim(), `${lang} ${key}`).not.toBe('');
    }
  });

  it('the Chinese texts are Chinese (no English sentence left untranslated)', () => {
    // Technical words (JSON, TCP, RS-485, ONVIF, URLs, placeholders) may stay; a run of three English words may not.
    for (const [key, text] of Object.entries(zh)) {
      const bare = text.replace(/\{\{\s*\w+\s*\}\}/g, '').replace(/https?:\/\/\S+/g, '');
      expect(bare, key).not.toMatch(/[A-Za-z]{2,}\s+[A-Za-z]{2,}\s+[A-Za-z]{2,}/);
    }
  });

  it('every key the code asks for exists in both languages', () => {
    const used = new Set<string>();
    for (const { text } of uiSources()) for (const m of text.matchAll(/\bt\('([A-Za-z0-9_.-]+)'/g)) used.add(m[1]!);
    expect(used.size).toBeGreaterThan(200);
    for (const key of used) for (const [lang, texts] of Object.entries(LOCALES)) expect(texts[key], `${lang}: ${key}`).toBeDefined();
  });

  it('keys built from data cover every contract value: modes, event types, device kinds, statuses, severities, overload causes', () => {
    const need = [
      ...MODES.map((m) => `mode.${m}`),
      ...KNOWN_EVENT_TYPES.map((e) => `eventType.${e}`),
      ...DEVICE_KINDS.map((k) => `kind.${k}`),
      ...[...DEVICE_STATUSES, ...SEVERITIES, ...QUALITIES].map((s) => `status.${s}`),
      ...EVENT_STATES.map((s) => `state.${s}`),
      ...['debug', 'info', 'warn', 'error'].map((l) => `logs.level.${l}`),
      ...['hour', 'day'].map((r) => `zones.range.${r}`),
      // What the overload card says cannot keep up (gateway/pipeline/overload-guard.ts).
      ...OVERLOAD_CAUSES.map((c) => `overload.cause.${c}`),
    ];
    for (const key of need) for (const [lang, texts] of Object.entries(LOCALES)) expect(texts[key], `${lang}: ${key}`).toBeDefined();
    // The operations room's words for the modes.
    expect([zh['mode.normal'], zh['mode.holiday'], zh['mode.major-event'], zh['mode.emergency']]).toEqual(['常态', '节假日', '重大活动', '应急']);
  });

  it('no page puts an English sentence on screen without the translator', () => {
    // A string literal of two or more English words given to h() as a child or as a
    // placeholder/title/aria-label is a UI text that bypassed t(); URLs, selectors and code are not.
    const offenders: string[] = [];
    for (const { file, text } of uiSources()) {
      const code = text
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '')
        .replace(/\s\/\/ .*$/gm, '');
      for (const m of code.matchAll(/h\('(?!code')[a-z0-9]+',\s*\{[^{}]*\},\s*'([^']*[A-Za-z]{2,} [A-Za-z]{2,}[^']*)'/g)) offenders.push(`${file}: ${m[1]}`);
      for (const m of code.matchAll(/(?:placeholder|title|'aria-label'|alt):\s*'([^']*[a-z]{2,}[^']*)'/g)) offenders.push(`${file}: ${m[1]}`);
      for (const m of code.matchAll(/notice\([^,]+,\s*'[a-z]+',\s*['`]([^'`]*[A-Za-z]{2,} [A-Za-z]{2,}[^'`]*)['`]/g)) offenders.push(`${file}: ${m[1]}`);
      for (const m of code.matchAll(/(?:confirm|prompt|alert)\(\s*['`]/g)) offenders.push(`${file}: ${m[0]}`);
    }
    expect(offenders).toEqual([]);
  });
});
