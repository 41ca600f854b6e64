import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SecretRef } from './schema/common.js';
import { GatewayError } from '../core/errors.js';

/**
 * Reads a secret named by reference. The value is returned to the caller only: it is never
 * logged, and error messages name the reference, never the content.
 */
export function readSecret(ref: SecretRef, baseDir: string, env: NodeJS.ProcessEnv = process.env): string {
  if ('env' in ref) {
    const value = env[ref.env];
    if (value === undefined || value === '') throw new GatewayError('E_SECRET_UNAVAILABLE', `environment variable ${ref.env} is not set`);
    return value;
  }
  const path = resolve(baseDir, ref.file);
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new GatewayError('E_SECRET_UNAVAILABLE', `secret file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
}

/** A description of a secret reference that is safe to log or show. */
export function describeSecret(ref: SecretRef | undefined): string {
  if (!ref) return 'none';
  return 'env' in ref ? `env ${ref.env}` : `file ${ref.file}`;
}
