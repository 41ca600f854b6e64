import { formatProblem } from '../config/config-problems.js';
import { loadConfigFile } from '../config/load-config.js';

/** `gridgate check-config FILE`: exit 0 when valid, else 1 with every problem listed. */
export function checkConfigCommand(file: string | undefined): number {
  if (!file) {
    console.error('usage: gridgate check-config FILE');
    return 2;
  }
  const result = loadConfigFile(file, process.env);
  if (!result.ok) {
    console.error(`${file}: ${result.problems.length} problem${result.problems.length > 1 ? 's' : ''}`);
    for (const p of result.problems) console.error(`  - ${formatProblem(p)}`);
    return 1;
  }
  const { config, envApplied } = result.loaded;
  const enabled = config.devices.filter((d) => d.enabled).length;
  console.log(`${file}: valid — gateway ${config.gateway} at site ${config.site}, ${config.devices.length} devices (${enabled} enabled)`);
  if (envApplied.length) console.log(`  environment overrides applied: ${envApplied.join(', ')}`);
  return 0;
}
