import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ONVIF_ERROR_CODES } from '../../drivers/onvif/error-codes.js';

describe('ONVIF error catalogue', () => {
  it('documents every code in docs/onvif.md', () => {
    const doc = readFileSync(new URL('../../docs/onvif.md', import.meta.url), 'utf8');
    for (const code of Object.keys(ONVIF_ERROR_CODES)) expect(doc, code).toContain(`\`${code}\``);
  });

  it('uses only catalogued codes in the driver sources', () => {
    const dir = new URL('../../drivers/onvif', import.meta.url).pathname;
    const sources = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const used = sources.flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/'(E_ONVIF_[A-Z_]+)'/g)].map((m) => m[1]!));
    expect(used.length).toBeGreaterThan(0);
    for (const code of new Set(used)) expect(Object.keys(ONVIF_ERROR_CODES), code).toContain(code);
  });
});
