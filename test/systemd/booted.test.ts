import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort, startMosquitto } from '../helpers/mosquitto.js';
import { PlatformRecorder } from '../helpers/platform.js';
import { BootedContainer, delay } from './container.js';
import { buildDeb, bumpedDeb, nodejsStandInDeb, REPO } from './debs.js';

/**
 * gridgate as an operator meets it: a Debian 12 root booted with systemd 252 (systemd-nspawn),
 * first installed with scripts/install.sh --root, then with the .deb: start (READY), the watchdog,
 * reload, stop, the sandbox, upgrade, remove and purge. The platform broker and the site's sensor
 * broker are one Debian Mosquitto on the host's loopback (the container shares it); the platform
 * side records every message (seq per lane is the oracle for "nothing accepted was lost").
 */

const SITE = 'booted-site';
const GW = 'gw-booted-01';
const ROOT_TOPIC = `gridgate/v1/${SITE}/${GW}`;
const UNIT = 'gridgate.service';

let work: string;
let container: BootedContainer;
let broker: { url: string; stop: () => Promise<void> };
let platform: PlatformRecorder;
let sensor: MqttClient;
let sensorTimer: NodeJS.Timeout | undefined;
let httpPort: number;
let deb: string;
let debV2: string;
let debV3: string;

function config(extra = ''): string {
  return `# written by test/systemd/booted.test.ts
gateway: ${GW}
site: ${SITE}
platform:
  url: ${broker.url}
  reconnect: { minDelayMs: 100, maxDelayMs: 1000 }
  stateIntervalMs: 2000
http: { host: 127.0.0.1, port: ${httpPort} }
batching: { maxReadings: 500, maxDelayMs: 100 }
rules: { suppression: { windowMs: 0 } }
devices:
  - id: synth-1
    kind: other
    driver: synthetic
    intervalMs: 200
    points: [{ name: count, unit: '1', wave: counter }]
    events: [{ type: crowd.density, everyMs: 250, severity: minor }]
  - id: env-01
    kind: mqtt
    driver: mqtt
    profile: mqtt-env-json
    connection: { mode: client, url: ${broker.url} }
${extra}`;
}

/** Writes /etc/gridgate/gridgate.yaml in the container as the package leaves it (root:gridgate 0640). */
async function writeConfig(text: string): Promise<void> {
  writeFileSync(container.path('/etc/gridgate/gridgate.yaml'), text);
  await container.ok(['sh', '-c', 'chown root:gridgate /etc/gridgate/gridgate.yaml && chmod 0640 /etc/gridgate/gridgate.yaml']);
}

async function readyz(): Promise<number> {
  try {
    return (await fetch(`http://127.0.0.1:${httpPort}/readyz`, { signal: AbortSignal.timeout(3000) })).status;
  } catch {
    return 0;
  }
}

function sha(path: string): string {
  return createHash('sha256')
    .update(readFileSync(container.path(path)))
    .digest('hex');
}

/** Every seq of a lane the platform saw, deduplicated (delivery is at least once). */
function seqs(kind: 'event' | 'telemetry'): number[] {
  return [...new Set(platform.of(kind).map((m) => m.doc.seq as number))].sort((a, b) => a - b);
}

/** A lane is whole when its seqs run from the first seen to the last with no hole. */
function gaps(kind: 'event' | 'telemetry'): number[] {
  const s = seqs(kind);
  const missing: number[] = [];
  for (let i = 1; i < s.length; i++) for (let q = s[i - 1]! + 1; q < s[i]!; q++) missing.push(q);
  return missing;
}

async function mainPid(): Promise<number> {
  return Number((await container.show(UNIT, ['MainPID'])).MainPID);
}

/** The shipped rate limit is 5 starts in 10 min; this test starts the unit more often on purpose. */
async function resetStartLimit(): Promise<void> {
  await container.run(['systemctl', 'reset-failed', UNIT]);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'gridgate-booted-'));
  deb = buildDeb(join(work, 'debs'));
  debV2 = bumpedDeb(deb, '99.0.1', join(work, 'debs'));
  debV3 = bumpedDeb(deb, '99.0.2', join(work, 'debs'));
  const nodeDeb = nodejsStandInDeb(join(work, 'debs'));
  broker = await startMosquitto(work);
  platform = new PlatformRecorder(broker.url, `${ROOT_TOPIC}/#`);
  await platform.start();
  httpPort = await freePort();
  container = await BootedContainer.boot('gridgate');
  execFileSync('mkdir', ['-p', container.path('/root/debs')]);
  for (const f of [deb, debV2, debV3, nodeDeb]) execFileSync('cp', [f, container.path('/root/debs/')]);
  await container.ok(['dpkg', '-i', `/root/debs/${nodeDeb.split('/').pop()}`]);
  // The site's sensor: publishes a reading every 200 ms to the site broker the gateway subscribes to.
  sensor = mqtt.connect(broker.url, { clientId: 'env-01-sensor', reconnectPeriod: 200 });
  let i = 0;
  sensorTimer = setInterval(() => {
    i++;
    sensor.publish(
      'sensors/env-01/data',
      JSON.stringify({ ts: Date.now(), temperature: 15 + (i % 100) / 5, humidity: 40 + (i % 20), pm25: i % 50, noise: 50 + (i % 10) }),
      { qos: 1 },
    );
  }, 200);
}, 1_500_000);

afterAll(async () => {
  if (sensorTimer) clearInterval(sensorTimer);
  await new Promise<void>((r) => (sensor ? sensor.end(true, {}, () => r()) : r()));
  await platform?.stop();
  await container?.destroy();
  await broker?.stop();
  if (work && !process.env.GRIDGATE_KEEP_CONTAINER) rmSync(work, { recursive: true, force: true });
});

describe.sequential('gridgate under a booted systemd 252 (Debian 12 container)', () => {
  it('scripts/install.sh --root installs an enabled unit that starts to READY; --uninstall --purge removes it', async () => {
    const stage = join(work, 'stage');
    execFileSync('dpkg-deb', ['-x', deb, stage]);
    const cfg = join(work, 'install-sh.yaml');
    writeFileSync(cfg, config());
    execFileSync('bash', [join(REPO, 'scripts', 'install.sh'), '--root', container.root, '--stage', join(stage, 'usr', 'lib', 'gridgate'), '--config', cfg], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await container.ok(['systemctl', 'daemon-reload']);
    expect((await container.run(['systemctl', 'is-enabled', UNIT])).stdout.trim()).toBe('enabled');
    const start = await container.run(['systemctl', 'start', UNIT]);
    expect(start.code, start.stderr).toBe(0);
    expect(await readyz()).toBe(200);
    expect((await container.show(UNIT, ['ActiveState'])).ActiveState).toBe('active');
    await container.ok(['systemctl', 'stop', UNIT]);
    execFileSync('bash', [join(REPO, 'scripts', 'install.sh'), '--root', container.root, '--uninstall', '--purge'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await container.ok(['systemctl', 'daemon-reload']);
    expect(existsSync(container.path('/opt/gridgate'))).toBe(false);
    expect(existsSync(container.path('/var/lib/gridgate'))).toBe(false);
    expect(existsSync(container.path('/etc/systemd/system/multi-user.target.wants/gridgate.service'))).toBe(false);
    await container.run(['systemctl', 'reset-failed']);
  });

  it('the .deb installs: user in dialout, secret key 0640 root:gridgate, default conffile, unit enabled, man page', async () => {
    // Held back from starting on install (policy-rc.d, as an image build would) so the test first
    // puts its own configuration in place: the default one points at a broker on 127.0.0.1:1883.
    writeFileSync(container.path('/usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    const install = await container.run(['dpkg', '-i', `/root/debs/${deb.split('/').pop()}`]);
    expect(install.code, install.stdout + install.stderr).toBe(0);
    rmSync(container.path('/usr/sbin/policy-rc.d'));
    expect(await container.ok(['id', '-nG', 'gridgate'])).toMatch(/\bdialout\b/);
    expect(await container.ok(['stat', '-c', '%a %U:%G', '/etc/gridgate/secret.key'])).toBe('640 root:gridgate\n');
    expect(await container.ok(['stat', '-c', '%a %U:%G', '/etc/gridgate', '/etc/gridgate/gridgate.yaml', '/var/lib/gridgate'])).toBe(
      '750 root:gridgate\n640 root:gridgate\n750 gridgate:gridgate\n',
    );
    expect(readFileSync(container.path('/etc/gridgate/gridgate.yaml'), 'utf8')).toBe(readFileSync(join(REPO, 'config', 'examples', 'minimal.yaml'), 'utf8'));
    expect(await container.ok(['dpkg-query', '--control-show', 'gridgate', 'conffiles'])).toContain('/etc/gridgate/gridgate.yaml');
    expect((await container.run(['systemctl', 'is-enabled', UNIT])).stdout.trim()).toBe('enabled');
    expect(existsSync(container.path('/usr/share/man/man1/gridgate.1.gz'))).toBe(true);
    expect(await container.ok(['gridgate', 'check-config', '/etc/gridgate/gridgate.yaml'])).toContain('valid');
    expect((await container.show(UNIT, ['ActiveState'])).ActiveState).toBe('inactive');
  });

  it('systemctl start returns once READY: outbox open, HTTP answering /readyz at once; the setup code is in the journal once', async () => {
    await writeConfig(config());
    const cursor = await container.cursor();
    const t0 = performance.now();
    const start = await container.run(['systemctl', 'start', UNIT]);
    console.log(`[figures] systemctl start → READY: ${Math.round(performance.now() - t0)} ms`);
    expect(start.code, start.stderr).toBe(0);
    // Type=notify: `systemctl start` waited for READY=1, so this first request must already answer.
    expect(await readyz()).toBe(200);
    expect(existsSync(container.path('/var/lib/gridgate/gridgate.db'))).toBe(true);
    const props = await container.show(UNIT, ['ActiveState', 'SubState', 'StatusText', 'NRestarts']);
    expect(props).toMatchObject({ ActiveState: 'active', SubState: 'running', NRestarts: '0' });
    expect(props.StatusText).toMatch(/^running: 2 devices, site booted-site, configuration version \d+$/);
    const journal = await container.journal(UNIT, cursor);
    expect(journal.match(/setup code/gi)?.length, journal).toBe(1);
    await platform.until(
      () => platform.of('event').length > 5 && platform.readings().some((r) => r.device === 'env-01'),
      30_000,
      'events and the sensor reading at the platform',
    );
  });

  it('systemctl reload applies a changed file and refreshes the status text', async () => {
    const before = await container.show(UNIT, ['MainPID', 'StatusText']);
    await writeConfig(config(`  - { id: synth-2, kind: other, driver: synthetic, intervalMs: 500, points: [{ name: level, unit: '1', wave: ramp }] }\n`));
    const reload = await container.run(['systemctl', 'reload', UNIT]);
    expect(reload.code, reload.stderr).toBe(0);
    await vi.waitFor(
      async () => expect((await container.show(UNIT, ['StatusText'])).StatusText).toMatch(/^running: 3 devices, .*; reload .* applied version \d+$/),
      { timeout: 30_000, interval: 250 },
    );
    expect((await container.show(UNIT, ['MainPID'])).MainPID).toBe(before.MainPID);
    await platform.until(() => platform.readings().some((r) => r.device === 'synth-2'), 30_000, 'readings of the device added by reload');
  });

  it('systemctl reload of an invalid file exits non-zero and keeps the running configuration', async () => {
    const before = await container.show(UNIT, ['MainPID', 'StatusText']);
    const good = readFileSync(container.path('/etc/gridgate/gridgate.yaml'), 'utf8');
    await writeConfig(`${good}  - { id: synth-1, kind: other, driver: synthetic, intervalMs: 5 }\n`);
    const reload = await container.run(['systemctl', 'reload', UNIT]);
    expect(reload.code).not.toBe(0);
    const journal = await container.journal(UNIT);
    expect(journal).toMatch(/already used by devices\[0\]/);
    const after = await container.show(UNIT, ['MainPID', 'StatusText', 'ActiveState']);
    expect(after).toMatchObject({ MainPID: before.MainPID, StatusText: before.StatusText, ActiveState: 'active' });
    expect(await readyz()).toBe(200);
    await writeConfig(good);
  });

  it('the sandbox: writes only to /var/lib/gridgate (and a private /tmp); a pty of group dialout opens, one of group root does not', async () => {
    // A pty standing in for a serial line: root-owned, group dialout, 0660, like /dev/ttyUSB0.
    // socat joins the pty to a second one, the far end of the line, which `cat` reads into a file.
    await container.ok([
      'systemd-run',
      '--unit=gg-serial',
      '--',
      'socat',
      'PTY,link=/dev/ttyGG0,group=dialout,perm=0660,raw,echo=0',
      'PTY,link=/root/ttyGG0-peer,raw,echo=0',
    ]);
    await vi.waitFor(async () => expect((await container.run(['test', '-e', '/root/ttyGG0-peer'])).code).toBe(0), { timeout: 10_000 });
    await container.ok(['systemd-run', '--unit=gg-serial-peer', '--', 'sh', '-c', 'exec cat /root/ttyGG0-peer >> /root/serial-peer.log']);
    await vi.waitFor(async () => expect((await container.run(['test', '-e', '/root/serial-peer.log'])).code).toBe(0), { timeout: 10_000 });
    expect((await container.run(['test', '-e', '/dev/ttyGG0'])).code).toBe(0);
    // A second line of a group gridgate is not in: access is by group membership, not privilege.
    await container.ok([
      'systemd-run',
      '--unit=gg-serial-root',
      '--',
      'socat',
      'PTY,link=/dev/ttyGG1,group=root,perm=0660,raw,echo=0',
      'PTY,link=/root/ttyGG1-peer,raw,echo=0',
    ]);
    await vi.waitFor(async () => expect((await container.run(['test', '-e', '/dev/ttyGG1'])).code).toBe(0), { timeout: 10_000 });
    const probe = `import { writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
const out = {};
for (const p of ['/var/lib/gridgate/probe', '/tmp/probe', '/etc/gridgate/probe', '/etc/probe', '/usr/lib/gridgate/probe', '/usr/local/probe', '/var/log/probe', '/var/tmp/probe', '/root/probe', '/home/probe', '/opt/probe', '/srv/probe', '/run/probe']) {
  try { writeFileSync(p, 'x'); out[p] = 'written'; } catch (e) { out[p] = e.code; }
}
try { const fd = openSync('/dev/ttyGG1', 'r+'); closeSync(fd); out.rootLine = 'opened'; } catch (e) { out.rootLine = e.code; }
try { const fd = openSync('/dev/ttyGG0', 'r+'); writeSync(fd, 'ping from gridgate\\n'); closeSync(fd); out.serial = 'opened'; } catch (e) { out.serial = e.code; }
console.log('PROBE ' + JSON.stringify(out));
`;
    writeFileSync(container.path('/usr/local/lib/gridgate-probe.mjs'), probe, { mode: 0o644 });
    // The probe runs under a copy of the installed unit: every sandbox setting as shipped, only
    // the program and the service type differ.
    const unit = readFileSync(container.path('/lib/systemd/system/gridgate.service'), 'utf8')
      .replace(/^Type=notify$/m, 'Type=oneshot')
      .replace(/^(WatchdogSec|ExecReload|Restart)=.*$/gm, '')
      .replace(/^ExecStart=.*$/m, 'ExecStart=/usr/bin/node /usr/local/lib/gridgate-probe.mjs');
    writeFileSync(container.path('/etc/systemd/system/gridgate-probe.service'), unit);
    await container.ok(['systemctl', 'daemon-reload']);
    await container.run(['systemctl', 'start', 'gridgate-probe.service']);
    const line = (await container.journal('gridgate-probe.service')).split('\n').find((l) => l.startsWith('PROBE '));
    expect(line, 'the probe printed nothing').toBeDefined();
    const shipped = JSON.parse(line!.slice(6)) as Record<string, string>;
    expect(shipped['/var/lib/gridgate/probe']).toBe('written');
    expect(shipped['/tmp/probe']).toBe('written');
    expect(existsSync(container.path('/tmp/probe'))).toBe(false); // PrivateTmp: not the system's /tmp
    for (const p of [
      '/etc/gridgate/probe',
      '/etc/probe',
      '/usr/lib/gridgate/probe',
      '/usr/local/probe',
      '/var/log/probe',
      '/opt/probe',
      '/srv/probe',
      '/run/probe',
    ]) {
      expect([p, shipped[p]]).toEqual([p, expect.stringMatching(/^(EROFS|EACCES|EPERM)$/)]);
    }
    for (const p of ['/root/probe', '/home/probe']) expect([p, shipped[p]]).toEqual([p, expect.stringMatching(/^(ENOENT|EROFS|EACCES|EPERM)$/)]);
    expect(shipped.serial).toBe('opened');
    await vi.waitFor(() => expect(readFileSync(container.path('/root/serial-peer.log'), 'utf8')).toContain('ping from gridgate'), { timeout: 10_000 });
    expect(shipped.rootLine).toBe('EACCES');
    await container.run(['systemctl', 'stop', 'gg-serial.service', 'gg-serial-peer.service', 'gg-serial-root.service']);
  });

  it('the watchdog: a SIGSTOPped main process is killed and restarted after WatchdogSec, nothing accepted is lost', async () => {
    // WatchdogSec=5 instead of the shipped 30 s, only to keep the test short (a drop-in).
    execFileSync('mkdir', ['-p', container.path('/etc/systemd/system/gridgate.service.d')]);
    writeFileSync(container.path('/etc/systemd/system/gridgate.service.d/test-watchdog.conf'), '[Service]\nWatchdogSec=5\n');
    await container.ok(['systemctl', 'daemon-reload']);
    await resetStartLimit();
    await container.ok(['systemctl', 'restart', UNIT]);
    const pid = await mainPid();
    const restartsBefore = Number((await container.show(UNIT, ['NRestarts'])).NRestarts);
    await platform.until(() => platform.of('event').length > 20, 30_000, 'events before the stop');
    const seqAtStop = Math.max(...seqs('event'));
    const stoppedAt = performance.now();
    await container.ok(['sh', '-c', `kill -STOP ${pid}`]);
    await vi.waitFor(
      async () => {
        const p = await container.show(UNIT, ['MainPID', 'ActiveState', 'SubState', 'NRestarts']);
        expect(Number(p.NRestarts)).toBeGreaterThan(restartsBefore);
        expect(p).toMatchObject({ ActiveState: 'active', SubState: 'running' });
        expect(Number(p.MainPID)).not.toBe(pid);
      },
      { timeout: 90_000, interval: 500 },
    );
    const restartedAfterMs = performance.now() - stoppedAt;
    console.log(`[figures] SIGSTOP → restarted and READY: ${Math.round(restartedAfterMs)} ms (WatchdogSec=5)`);
    expect(restartedAfterMs).toBeGreaterThan(4_000);
    expect(await container.journal(UNIT)).toMatch(/Watchdog timeout \(limit 5s\)/);
    expect(await readyz()).toBe(200);
    // Events and sensor readings flow again after the restart, and no seq is missing on either lane.
    const readingsBefore = platform.readings().filter((r) => r.device === 'env-01').length;
    await platform.until(
      () => Math.max(...seqs('event')) > seqAtStop + 20 && platform.readings().filter((r) => r.device === 'env-01').length > readingsBefore + 5,
      60_000,
      'events and sensor readings after the restart',
    );
    expect(gaps('event')).toEqual([]);
    expect(gaps('telemetry')).toEqual([]);
    rmSync(container.path('/etc/systemd/system/gridgate.service.d'), { recursive: true });
    await container.ok(['systemctl', 'daemon-reload']);
  });

  it('systemctl stop drains in order within TimeoutStopSec: exit 0, offline state at the platform, nothing lost', async () => {
    const stateCount = platform.of('state').length;
    const t0 = performance.now();
    const stop = await container.run(['systemctl', 'stop', UNIT]);
    const stopMs = performance.now() - t0;
    console.log(`[figures] systemctl stop: ${Math.round(stopMs)} ms`);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stopMs).toBeLessThan(20_000);
    const p = await container.show(UNIT, ['ActiveState', 'Result', 'ExecMainStatus', 'ExecMainCode']);
    expect(p).toMatchObject({ ActiveState: 'inactive', Result: 'success', ExecMainStatus: '0' });
    await platform.until(
      () =>
        platform
          .of('state')
          .slice(stateCount)
          .some((m) => m.doc.online === false),
      10_000,
      'offline state',
    );
    const lastState = platform.of('state').at(-1)!.doc;
    expect(lastState.online).toBe(false);
    const lastEvent = Math.max(...seqs('event'));
    await resetStartLimit();
    await container.ok(['systemctl', 'start', UNIT]);
    await platform.until(() => Math.max(...seqs('event')) > lastEvent + 5, 30_000, 'events after the restart');
    expect(gaps('event')).toEqual([]);
    expect(gaps('telemetry')).toEqual([]);
  });

  it('upgrade to a newer .deb restarts on the new version, keeping configuration, data, UI users and the secret key', async () => {
    await container.ok(['runuser', '-u', 'gridgate', '--', 'gridgate', 'passwd', 'alice', '--state-dir', '/var/lib/gridgate/ui', '--role', 'admin'], {
      input: 'correct horse battery staple 42\n',
    });
    const kept = ['/etc/gridgate/gridgate.yaml', '/etc/gridgate/secret.key', '/var/lib/gridgate/ui/users.json'];
    const before = Object.fromEntries(kept.map((f) => [f, sha(f)]));
    const versionsBefore = readFileSync(container.path('/var/lib/gridgate/ui/users.json'), 'utf8');
    const pid = await mainPid();
    const lastEvent = Math.max(...seqs('event'));
    await resetStartLimit();
    const up = await container.run(['dpkg', '-i', `/root/debs/${debV2.split('/').pop()}`]);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(await container.ok(['dpkg-query', '-W', 'gridgate'])).toBe('gridgate\t99.0.1\n');
    await vi.waitFor(async () => expect(await mainPid()).not.toBe(pid), { timeout: 30_000 });
    expect((await container.show(UNIT, ['ActiveState'])).ActiveState).toBe('active');
    await platform.until(() => platform.of('state').some((m) => m.doc.online && m.doc.version === '99.0.1'), 30_000, 'state of version 99.0.1');
    for (const f of kept) expect([f, sha(f)]).toEqual([f, before[f]]);
    expect(readFileSync(container.path('/var/lib/gridgate/ui/users.json'), 'utf8')).toBe(versionsBefore);
    await platform.until(() => Math.max(...seqs('event')) > lastEvent + 5, 30_000, 'events after the upgrade');
    expect(gaps('event')).toEqual([]);
    expect(gaps('telemetry')).toEqual([]);
  });

  it('an upgrade whose new version refuses the existing configuration does not restart the service', async () => {
    const good = readFileSync(container.path('/etc/gridgate/gridgate.yaml'), 'utf8');
    await writeConfig(good.replace(`gateway: ${GW}`, 'gateway: Not A Valid Name'));
    const pid = await mainPid();
    const up = await container.run(['dpkg', '-i', `/root/debs/${debV3.split('/').pop()}`]);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.stderr).toContain('the service was NOT restarted');
    expect(await mainPid()).toBe(pid);
    expect((await container.show(UNIT, ['ActiveState'])).ActiveState).toBe('active');
    await writeConfig(good);
  });

  it('remove keeps configuration, key, data and user; purge deletes them', async () => {
    const rm = await container.run(['dpkg', '-r', 'gridgate']);
    expect(rm.code, rm.stdout + rm.stderr).toBe(0);
    expect((await container.show(UNIT, ['ActiveState'])).ActiveState).toBe('inactive');
    for (const f of ['/etc/gridgate/gridgate.yaml', '/etc/gridgate/secret.key', '/var/lib/gridgate/ui/users.json'])
      expect([f, existsSync(container.path(f))]).toEqual([f, true]);
    expect(existsSync(container.path('/usr/lib/gridgate'))).toBe(false);
    expect((await container.run(['getent', 'passwd', 'gridgate'])).code).toBe(0);
    const purge = await container.run(['dpkg', '-P', 'gridgate']);
    expect(purge.code, purge.stdout + purge.stderr).toBe(0);
    for (const f of ['/etc/gridgate', '/var/lib/gridgate']) expect([f, existsSync(container.path(f))]).toEqual([f, false]);
    expect(statSync(container.path('/etc')).isDirectory()).toBe(true);
    await delay(0);
  });
});
