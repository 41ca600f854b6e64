import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTRACT_DIR } from '../helpers/contract.js';

/**
 * The reference contract lives beside the repository in ../shared/contract where the platform team
 * lays it (CI does). The project carries its own copy so a fresh clone can run its tests; this is
 * the only test that reads the reference, and it has nothing to compare where the reference is absent.
 */
const REFERENCE = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'contract');

function filesBelow(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesBelow(path) : [path];
  });
}

describe('contract/ (the project copy of the platform contract)', () => {
  it('holds the schemas and examples', () => {
    const names = filesBelow(CONTRACT_DIR).map((f) => relative(CONTRACT_DIR, f));
    expect(names).toContain('telemetry.schema.json');
    expect(names).toContain('examples/event.json');
  });

  it.runIf(existsSync(REFERENCE))('equals ../shared/contract, file by file', () => {
    const ours = filesBelow(CONTRACT_DIR)
      .map((f) => relative(CONTRACT_DIR, f))
      .sort();
    const reference = filesBelow(REFERENCE)
      .map((f) => relative(REFERENCE, f))
      .sort();
    expect(ours).toEqual(reference);
    for (const name of reference) {
      expect(readFileSync(join(CONTRACT_DIR, name), 'utf8'), name).toBe(readFileSync(join(REFERENCE, name), 'utf8'));
    }
  });
});
