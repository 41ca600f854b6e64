import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { GatewayError } from '../core/errors.js';
import { BUILTIN_PROFILE_DIR } from './paths.js';
import { basename, extname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DRIVER_SCHEMAS, type ProfileConfig, profileSchema } from '../../drivers/schemas.js';
import type { ConfigProblem, ProblemFormatter } from './config-problems.js';

/** Reads every `*.yaml|*.yml|*.json` profile in the folders; later folders override earlier ones. */
export function loadProfiles(dirs: string[], formatter: ProblemFormatter): { profiles: Map<string, ProfileConfig>; problems: ConfigProblem[] } {
  const profiles = new Map<string, ProfileConfig>();
  const problems: ConfigProblem[] = [];
  for (const dir of dirs) {
    let files: string[];
    try {
      files = readdirSync(dir).filter((f) => ['.yaml', '.yml', '.json'].includes(extname(f))).sort();
    } catch (err) {
      problems.push({ path: dir, message: `profile folder cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
      continue;
    }
    for (const file of files) {
      const path = join(dir, file);
      let raw: unknown;
      try {
        raw = parseYaml(readFileSync(path, 'utf8'));
      } catch (err) {
        problems.push({ path, message: `not valid YAML/JSON: ${(err as Error).message.split('\n')[0]}` });
        continue;
      }
      const driver = (raw as { driver?: unknown } | null)?.driver;
      // A profile for a driver this build does not have is not an error until a device uses it.
      if (typeof driver === 'string' && !(driver in DRIVER_SCHEMAS)) continue;
      const parsed = profileSchema.safeParse(raw);
      if (!parsed.success) {
        for (const p of formatter.fromZod(parsed.error)) problems.push({ ...p, path: `${basename(path)}: ${p.path}` });
        continue;
      }
      profiles.set(parsed.data.name, parsed.data);
    }
  }
  return { profiles, problems };
}

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
