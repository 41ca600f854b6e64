import { readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DRIVER_NAMES, type ProfileConfig, profileSchema } from './schema/devices.js';
import type { ConfigProblem, ProblemFormatter } from './config-problems.js';

/** Reads every `*.yaml|*.yml|*.json` profile in the folders; later folders override earlier ones. */
export function loadProfiles(dirs: string[], formatter: ProblemFormatter): { profiles: Map<string, ProfileConfig>; problems: ConfigProblem[] } {
  const profiles = new Map<string, ProfileConfig>();
  const problems: ConfigProblem[] = [];
  for (const dir of dirs) {
    let files: string[];
    try {
      files = readdirSync(dir)
        .filter((f) => ['.yaml', '.yml', '.json'].includes(extname(f)))
        .sort();
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
      if (typeof driver === 'string' && !DRIVER_NAMES.has(driver)) continue;
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
