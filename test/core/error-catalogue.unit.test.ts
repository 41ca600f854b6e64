import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODBUS_ERROR_CODES } from '../../drivers/modbus/error-codes.js';
import { MQTT_ERROR_CODES } from '../../drivers/mqtt/error-codes.js';
import { ONVIF_ERROR_CODES } from '../../drivers/onvif/error-codes.js';
import { ERROR_CODES, GatewayError } from '../../gateway/core/errors.js';
import { UI_ERROR_CODES } from '../../gateway/ui/error-codes.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** Every catalogue; together they are the closed ErrorCode union (gateway/core/errors.ts). */
const CATALOGUES: Record<string, Record<string, string>> = {
  core: ERROR_CODES,
  ui: UI_ERROR_CODES,
  modbus: MODBUS_ERROR_CODES,
  mqtt: MQTT_ERROR_CODES,
  onvif: ONVIF_ERROR_CODES,
};
const ALL = Object.values(CATALOGUES).flatMap((c) => Object.keys(c));

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(ROOT, dir, f));
}

describe('the error catalogue', () => {
  it('documents every code of every catalogue in docs/errors.md, and nothing else', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
    const documented = [...doc.matchAll(/^\| `(E_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...ALL].sort());
  });

  it('gives each code to one catalogue only, with a meaning', () => {
    expect(new Set(ALL).size).toBe(ALL.length);
    for (const [name, catalogue] of Object.entries(CATALOGUES)) {
      for (const [code, meaning] of Object.entries(catalogue)) expect(meaning.length, `${name} ${code}`).toBeGreaterThan(10);
    }
  });

  it('knows every code the gateway and drivers write as a literal (also where the type system does not look)', () => {
    const known = new Set(ALL);
    const unknown: string[] = [];
    for (const file of [...sources('gateway'), ...sources('drivers')]) {
      for (const m of readFileSync(file, 'utf8').matchAll(/['"`](E_[A-Z0-9_]+)['"`]/g)) {
        if (!known.has(m[1]!)) unknown.push(`${m[1]} in ${file.slice(ROOT.length + 1)}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  it('is a closed union: a mistyped code does not compile', () => {
    // tsc (npm run typecheck) fails if ErrorCode accepts any E_ string again.
    // @ts-expect-error E_UKNOWN_DEVICE is a typo of E_UNKNOWN_DEVICE
    const typo = new GatewayError('E_UKNOWN_DEVICE', 'x');
    expect(typo.code).toBe('E_UKNOWN_DEVICE');
    expect(new GatewayError('E_MODBUS_TIMEOUT', 'driver codes are in the union').code).toBe('E_MODBUS_TIMEOUT');
  });
});
