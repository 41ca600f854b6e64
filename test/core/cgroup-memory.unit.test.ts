import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cgroupMemoryLimit } from '../../gateway/core/cgroup-memory.js';
import { tempDir } from '../helpers/gateway-harness.js';

/** A fake /sys/fs/cgroup and /proc/self/cgroup under a temporary folder. */
function fakeCgroup(dir: string, procLines: string[], files: Record<string, string>) {
  const root = join(dir, 'sys');
  mkdirSync(dir, { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const proc = join(dir, 'proc-cgroup');
  writeFileSync(proc, `${procLines.join('\n')}\n`);
  return { root, proc };
}

describe('cgroupMemoryLimit (systemd MemoryMax as the overload guard sees it)', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());
  let n = 0;
  const at = () => join(tmp.dir, String(n++));

  it('reads cgroup v2 memory.max of the own cgroup, and "max" as no limit', () => {
    const limited = fakeCgroup(at(), ['0::/system.slice/gridgate.service'], { 'system.slice/gridgate.service/memory.max': '536870912\n' });
    expect(cgroupMemoryLimit(limited.root, limited.proc)).toBe(512 * 2 ** 20);
    const open = fakeCgroup(at(), ['0::/system.slice/gridgate.service'], { 'system.slice/gridgate.service/memory.max': 'max\n' });
    expect(cgroupMemoryLimit(open.root, open.proc)).toBeUndefined();
  });

  it('reads cgroup v1 memory.limit_in_bytes (also with joined controllers), and the v1 "unlimited" as no limit', () => {
    const v1 = fakeCgroup(at(), ['5:cpu,cpuacct:/', '4:memory:/system.slice/gridgate.service', '0::/'], {
      'memory/system.slice/gridgate.service/memory.limit_in_bytes': '536870912\n',
    });
    expect(cgroupMemoryLimit(v1.root, v1.proc)).toBe(512 * 2 ** 20);
    const joined = fakeCgroup(at(), ['3:memory,hugetlb:/gg'], { 'memory/gg/memory.limit_in_bytes': '268435456' });
    expect(cgroupMemoryLimit(joined.root, joined.proc)).toBe(256 * 2 ** 20);
    const open = fakeCgroup(at(), ['4:memory:/gg'], { 'memory/gg/memory.limit_in_bytes': '9223372036854771712' });
    expect(cgroupMemoryLimit(open.root, open.proc)).toBeUndefined();
  });

  it("falls back to the view's root when the own path is not visible (a container), and gives undefined when nothing is readable", () => {
    const container = fakeCgroup(at(), ['4:memory:/docker/abc'], { 'memory/memory.limit_in_bytes': '1073741824' });
    expect(cgroupMemoryLimit(container.root, container.proc)).toBe(2 ** 30);
    const nothing = fakeCgroup(at(), ['0::/x'], {});
    expect(cgroupMemoryLimit(nothing.root, nothing.proc)).toBeUndefined();
    expect(cgroupMemoryLimit(join(tmp.dir, 'none'), join(tmp.dir, 'no-proc'))).toBeUndefined();
    const junk = fakeCgroup(at(), ['0::/x'], { 'x/memory.max': 'garbage' });
    expect(cgroupMemoryLimit(junk.root, junk.proc)).toBeUndefined();
  });
});
