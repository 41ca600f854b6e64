import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The installed package's root (where package.json, config/ and docs/ live), from source or dist/. */
export const PACKAGE_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(from: string): string {
  let dir = from;
  while (!existsSync(resolve(dir, 'package.json')) || (existsSync(resolve(dir, '..', 'package.json')) && dir.endsWith('dist'))) {
    const up = dirname(dir);
    if (up === dir) return resolve(from, '..', '..');
    dir = up;
  }
  return dir;
}
