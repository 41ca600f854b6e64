import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { GatewayError } from '../core/errors.js';
import { BUILTIN_PROFILE_DIR } from './paths.js';

/**
 * Reads and validates one profile file `<dir>/<name>.yaml` against a driver's profile schema,
 * for tools, simulators and tests (the daemon loads every profile through `loadProfiles`).
 */
export async function readProfileFile<T>(name: string, schema: z.ZodType<T>, dir: string = BUILTIN_PROFILE_DIR): Promise<T> {
  const path = join(dir, `${name}.yaml`);
  let data: unknown;
  try {
    data = parseYaml(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new GatewayError('E_PROFILE_INVALID', `profile ${path} could not be read`, { cause });
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new GatewayError('E_PROFILE_INVALID', `profile ${path} is not valid:\n${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  return parsed.data;
}
