import type { ConfigProblem } from './config-problems.js';

/** Environment variables that override settings, for containers, systemd and the demo. */
export const ENV_OVERRIDES = [
  { env: 'GRIDGATE_PLATFORM_URL', path: ['platform', 'url'], kind: 'string' },
  { env: 'GRIDGATE_PLATFORM_USERNAME', path: ['platform', 'username'], kind: 'string' },
  { env: 'GRIDGATE_DATA_DIR', path: ['dataDir'], kind: 'string' },
  { env: 'GRIDGATE_HTTP_HOST', path: ['http', 'host'], kind: 'string' },
  { env: 'GRIDGATE_HTTP_PORT', path: ['http', 'port'], kind: 'port' },
  { env: 'GRIDGATE_SITE', path: ['site'], kind: 'string' },
  { env: 'GRIDGATE_GATEWAY', path: ['gateway'], kind: 'string' },
  { env: 'GRIDGATE_LOG_LEVEL', path: ['log', 'level'], kind: 'string' },
] as const;

/** Applies overrides to the raw (unvalidated) document; returns problems for unusable values. */
export function applyEnvOverrides(raw: unknown, env: NodeJS.ProcessEnv): { raw: unknown; problems: ConfigProblem[]; applied: string[] } {
  const problems: ConfigProblem[] = [];
  const applied: string[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { raw, problems, applied };
  const doc = structuredClone(raw) as Record<string, unknown>;
  for (const o of ENV_OVERRIDES) {
    const text = env[o.env];
    if (text === undefined || text === '') continue;
    let value: unknown = text;
    if (o.kind === 'port') {
      value = Number(text);
      if (!/^\d+$/.test(text) || (value as number) > 65_535) {
        problems.push({ path: `$${o.env}`, message: `must be a TCP port number 0..65535, got "${text}"`, example: '8080' });
        continue;
      }
    }
    let node = doc;
    for (const key of o.path.slice(0, -1)) {
      const child = node[key];
      if (typeof child !== 'object' || child === null) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[o.path.at(-1)!] = value;
    applied.push(o.env);
  }
  return { raw: doc, problems, applied };
}
