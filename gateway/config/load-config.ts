import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type GatewayConfig, gatewayConfigSchema } from './schema/gateway-config.js';
import type { ProfileConfig } from './schema/devices.js';
import { type ConfigProblem, ProblemFormatter } from './config-problems.js';
import { applyEnvOverrides } from './env-overrides.js';
import { BUILTIN_PROFILE_DIR } from './paths.js';
import { loadProfiles } from './profiles.js';

export interface LoadedConfig {
  /** Validated, profile points merged in, paths absolute, deeply frozen. */
  config: Readonly<GatewayConfig>;
  /** Folder that relative paths in the file are resolved against. */
  baseDir: string;
  sourcePath?: string;
  profiles: ReadonlyMap<string, ProfileConfig>;
  envApplied: string[];
}

export type ConfigResult = { ok: true; loaded: LoadedConfig } | { ok: false; problems: ConfigProblem[] };

let formatter: ProblemFormatter | undefined;
/** Built on first use: turning the schema into JSON Schema costs a few ms. */
function problemFormatter(): ProblemFormatter {
  formatter ??= new ProblemFormatter(gatewayConfigSchema);
  return formatter;
}

/** Reads, overrides from the environment, validates and resolves a configuration file. */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const absolute = resolve(path);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (err) {
    return { ok: false, problems: [{ path: absolute, message: `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})` }] };
  }
  if (text.trim() === '') return { ok: false, problems: [{ path: absolute, message: 'is empty' }] };
  let raw: unknown;
  try {
    // YAML 1.2 is a superset of JSON, so one parser reads both.
    raw = parseYaml(text, { prettyErrors: true, maxAliasCount: 100 });
  } catch (err) {
    return { ok: false, problems: [{ path: absolute, message: `is not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}` }] };
  }
  return validateConfig(raw, { baseDir: dirname(absolute), env, sourcePath: absolute });
}

/** Validates a configuration document (parsed YAML/JSON, or a UI submission). */
export function validateConfig(raw: unknown, options: { baseDir: string; env?: NodeJS.ProcessEnv; sourcePath?: string }): ConfigResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return {
      ok: false,
      problems: [{ path: '(top level)', message: 'must be a mapping of settings', example: { gateway: 'gw-cbd-01', site: 'zhengdong-cbd' } }],
    };
  }
  const overridden = applyEnvOverrides(raw, options.env ?? {});
  const parsed = gatewayConfigSchema.safeParse(overridden.raw);
  const problems = [...overridden.problems];
  if (!parsed.success) problems.push(...problemFormatter().fromZod(parsed.error));
  if (!parsed.success) return { ok: false, problems };

  const config = resolvePaths(parsed.data, options.baseDir);
  const { profiles, problems: profileProblems } = loadProfiles([BUILTIN_PROFILE_DIR, ...config.profileDirs], problemFormatter());
  problems.push(...profileProblems);
  problems.push(...mergeProfiles(config, profiles));
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    loaded: { config: deepFreeze(config), baseDir: options.baseDir, sourcePath: options.sourcePath, profiles, envApplied: overridden.applied },
  };
}

function resolvePaths(config: GatewayConfig, baseDir: string): GatewayConfig {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const tls = config.platform.tls;
  return {
    ...config,
    dataDir: abs(config.dataDir),
    profileDirs: config.profileDirs.map(abs),
    platform: {
      ...config.platform,
      tls: tls && { ...tls, ca: tls.ca && abs(tls.ca), cert: tls.cert && abs(tls.cert), key: tls.key && abs(tls.key) },
    },
  };
}

/** Puts each device's profile points in front of its own (a device point of the same name wins). */
function mergeProfiles(config: GatewayConfig, profiles: ReadonlyMap<string, ProfileConfig>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  config.devices.forEach((device, i) => {
    if (!device.profile) return;
    const profile = profiles.get(device.profile);
    if (!profile) {
      const known = [...profiles.values()].filter((p) => p.driver === device.driver).map((p) => p.name);
      problems.push({
        path: `devices[${i}].profile`,
        message: `no profile named "${device.profile}"${known.length ? ` (known for ${device.driver}: ${known.join(', ')})` : ''}`,
      });
      return;
    }
    if (profile.driver !== device.driver) {
      problems.push({ path: `devices[${i}].profile`, message: `profile "${profile.name}" is for driver ${profile.driver}, the device uses ${device.driver}` });
      return;
    }
    const own = new Set(device.points.map((p) => p.name));
    const merged = [...profile.points.filter((p) => !own.has(p.name)), ...device.points];
    (device as { points: unknown[] }).points = merged;
  });
  return problems;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
