import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * V1 reports "no limit" as the largest page-aligned signed 64-bit number (9223372036854771712);
 * anything this large is no limit a process could reach.
 */
const UNLIMITED_FROM = 2 ** 62;

/**
 * The memory limit of the process's own cgroup (systemd's MemoryMax), in bytes; undefined when
 * unlimited or unreadable. cgroup v2 (Debian 12 and later): `<root>/<path>/memory.max`, "max" when
 * unlimited. cgroup v1 (older hosts, hybrid containers): `<root>/memory/<path>/memory.limit_in_bytes`.
 * A path from /proc/self/cgroup may not exist under a container's own view of /sys/fs/cgroup: then
 * the limit at the view's root is the one that applies. `root` and `procCgroup` exist for tests.
 */
export function cgroupMemoryLimit(root = '/sys/fs/cgroup', procCgroup = '/proc/self/cgroup'): number | undefined {
  let lines: string[];
  try {
    lines = readFileSync(procCgroup, 'utf8').split('\n');
  } catch {
    return undefined;
  }
  // v2: "0::/system.slice/gridgate.service"; v1: "4:memory:/system.slice/gridgate.service".
  const v1 = lines.find((l) => /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(l));
  if (v1) {
    const path = v1.slice(v1.indexOf(':', v1.indexOf(':') + 1) + 1);
    return firstLimit([join(root, 'memory', path, 'memory.limit_in_bytes'), join(root, 'memory', 'memory.limit_in_bytes')]);
  }
  const v2 = lines.find((l) => l.startsWith('0::'));
  if (v2) return firstLimit([join(root, v2.slice(3), 'memory.max'), join(root, 'memory.max')]);
  return undefined;
}

/** The first of the files that can be read, as a limit: undefined for "max", junk or "unlimited". */
function firstLimit(files: string[]): number | undefined {
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8').trim();
    } catch {
      continue;
    }
    const n = Number(text);
    return Number.isSafeInteger(n) && n > 0 && n < UNLIMITED_FROM ? n : undefined;
  }
  return undefined;
}
