import { execFileSync, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const UNIT = resolve(import.meta.dirname, '..', '..', 'systemd', 'gridgate.service');

describe('systemd/gridgate.service', () => {
  it('passes systemd-analyze verify', () => {
    const r = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    expect(r.stderr.trim(), r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('scores as well sandboxed by systemd-analyze security (exposure ≤ 2.5)', () => {
    const out = execFileSync('systemd-analyze', ['security', '--offline=true', UNIT], { encoding: 'utf8' });
    const score = Number(/Overall exposure level for gridgate\.service: ([\d.]+)/.exec(out)?.[1]);
    expect(score).toBeLessThanOrEqual(2.5);
  });

  it('is a notify service with a watchdog, a dedicated user and no MemoryDenyWriteExecute', async () => {
    const text = (await import('node:fs')).readFileSync(UNIT, 'utf8');
    for (const line of [
      'Type=notify',
      'NotifyAccess=all',
      'WatchdogSec=',
      'User=gridgate',
      'SupplementaryGroups=dialout',
      'StateDirectory=gridgate',
      'ConfigurationDirectory=gridgate',
      'ProtectSystem=strict',
      'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK',
      'MemoryMax=',
      'Restart=on-failure',
      'StartLimitBurst=',
    ]) {
      expect(text, line).toContain(line);
    }
    expect(text).not.toMatch(/^MemoryDenyWriteExecute=/m);
  });

  it('reloads through check-config first, then SIGHUP without /bin/kill (absent in minbase roots)', async () => {
    const text = (await import('node:fs')).readFileSync(UNIT, 'utf8');
    const reloads = text.split('\n').filter((l) => l.startsWith('ExecReload='));
    expect(reloads).toEqual([
      'ExecReload=/usr/bin/node /opt/gridgate/dist/gateway/cli/main.js check-config /etc/gridgate/gridgate.yaml',
      `ExecReload=/bin/sh -c 'kill -HUP "$MAINPID"'`,
    ]);
    // Node 20 calls pkey_alloc at start; systemd 252's @system-service lacks it (status=31/SYS).
    expect(text).toMatch(/^SystemCallFilter=@system-service @pkey$/m);
    expect(text).toMatch(/^DeviceAllow=char-pts rw$/m);
  });
});
