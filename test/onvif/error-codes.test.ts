import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ONVIF_ERROR_CODES } from '../../drivers/onvif/error-codes.js';

describe('ONVIF error catalogue', () => {
  it('documents every code in docs/onvif.md', () => {
    const doc = readFileSync(new URL('../../docs/onvif.md', import.meta.url), 'utf8');
    for (const code of Object.keys(ONVIF_ERROR_CODES)) expect(doc, code).toContain(`\`${code}\``);
  });

  it('uses only catalogued codes in the driver sources', async () => {
    const { execFileSync } = await import('node:child_process');
    const used = execFileSync('grep', ['-rhoE', "'E_ONVIF_[A-Z_]+'", new URL('../../drivers/onvif', import.meta.url).pathname], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((s) => s.replace(/'/g, ''));
    for (const code of new Set(used)) expect(Object.keys(ONVIF_ERROR_CODES), code).toContain(code);
  });
});
