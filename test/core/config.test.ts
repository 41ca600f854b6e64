import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../gateway/config/config-problems.js';
import { loadConfigFile, validateConfig } from '../../gateway/config/load-config.js';
import { tempDir } from '../helpers/gateway-harness.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const valid = () => ({
  gateway: 'gw-1',
  site: 'site-1',
  platform: { url: 'mqtt://127.0.0.1:1883' },
  devices: [{ id: 'env-1', kind: 'other', driver: 'synthetic', points: [{ name: 't', unit: 'Cel' }] }],
});
type Doc = ReturnType<typeof valid> & Record<string, any>;

function problems(mutate: (d: Doc) => void, env: NodeJS.ProcessEnv = {}): string[] {
  const doc = valid() as Doc;
  mutate(doc);
  const r = validateConfig(doc, { baseDir: '/tmp', env });
  return r.ok ? [] : r.problems.map(formatProblem);
}

describe('configuration validation', () => {
  it('accepts the demo and the examples', () => {
    for (const file of ['config/demo.yaml', 'config/examples/minimal.yaml', 'config/examples/production.yaml']) {
      const r = loadConfigFile(resolve(ROOT, file), { PLATFORM_PASSWORD: 'x' });
      expect(r.ok ? [] : r.problems.map(formatProblem), file).toEqual([]);
    }
  });

  const cases: Array<[string, (d: Doc) => void, RegExp, NodeJS.ProcessEnv?]> = [
    ['missing gateway', (d) => delete (d as any).gateway, /^gateway: is required.*e\.g\. "gw-cbd-01"/],
    ['upper-case site', (d) => (d.site = 'Zhengdong'), /^site: must be lower-case.*e\.g\. "zhengdong-cbd"/],
    ['unknown top-level key', (d) => (d.colour = 'red'), /unknown setting "colour"/],
    ['http URL for the platform', (d) => (d.platform.url = 'http://x'), /^platform\.url: must be an mqtt:\/\/ or mqtts:\/\/ URL/],
    ['password in the URL', (d) => (d.platform.url = 'mqtt://u:secret@x:1883'), /^platform\.url: must not contain a password/],
    ['inline password', (d) => ((d.platform as any).password = 'secret'), /^platform\.password: .*e\.g\. \{"env":"GRIDGATE_PLATFORM_PASSWORD"\}/],
    ['bad secret env name', (d) => ((d.platform as any).password = { env: 'lower' }), /platform\.password/],
    ['prefix with wildcard', (d) => ((d.platform as any).prefix = 'a/#'), /^platform\.prefix: must be an MQTT topic/],
    ['protocol version 3', (d) => ((d.platform as any).protocolVersion = 3), /^platform\.protocolVersion/],
    ['tls without mqtts', (d) => ((d.platform as any).tls = { ca: '/ca.pem' }), /^platform\.url: tls is set, so the URL must be mqtts:\/\//],
    [
      'cert without key',
      (d) => ((d.platform as any) = { url: 'mqtts://x:8883', tls: { cert: '/c.pem' } }),
      /^platform\.tls: a client certificate needs both cert and key/,
    ],
    [
      'reconnect max below min',
      (d) => ((d.platform as any).reconnect = { minDelayMs: 5000, maxDelayMs: 1000 }),
      /^platform\.reconnect\.maxDelayMs: must be at least minDelayMs/,
    ],
    ['outbox capacity too small', (d) => (d.outbox = { capacityBytes: 1000 }), /^outbox\.capacityBytes: .*e\.g\. 536870912/],
    ['unknown synchronous', (d) => (d.outbox = { synchronous: 'OFF' }), /^outbox\.synchronous: must be one of "FULL", "NORMAL"/],
    ['batch larger than the contract allows', (d) => (d.batching = { maxReadings: 6000 }), /^batching\.maxReadings/],
    ['unknown mode', (d) => (d.modes = { initial: 'party' }), /^modes\.initial: must be one of "normal", "holiday", "major-event", "emergency"/],
    ['port out of range', (d) => (d.http = { port: 70000 }), /^http\.port/],
    ['port as text', (d) => (d.http = { port: 'eighty' }), /^http\.port: .*expected number.*e\.g\. 8080/],
    ['unknown driver', (d) => ((d.devices[0] as any).driver = 'zigbee'), /^devices\[0\]\.driver: unknown driver \(e\.g\. "synthetic"\)/],
    ['unknown device kind', (d) => ((d.devices[0] as any).kind = 'robot'), /^devices\[0\]\.kind: must be one of/],
    ['bad device id', (d) => (d.devices[0]!.id = 'cam 31'), /^devices\[0\]\.id: must be letters, digits/],
    ['duplicate device id', (d) => d.devices.push({ ...d.devices[0]! }), /^devices\[1\]\.id: device id "env-1" is already used by devices\[0\]/],
    ['unknown unit', (d) => (d.devices[0]!.points[0]!.unit = 'Celsius'), /^devices\[0\]\.points\[0\]\.unit: is not a UCUM unit/],
    [
      'units that do not convert',
      (d) => ((d.devices[0]!.points[0] as any).sourceUnit = 'kW'),
      /^devices\[0\]\.points\[0\]\.sourceUnit: cannot convert kW to Cel/,
    ],
    ['duplicate point', (d) => d.devices[0]!.points.push({ name: 't', unit: 'Cel' }), /^devices\[0\]\.points\[1\]\.name: point "t" is defined twice/],
    [
      'unknown profile',
      (d) => ((d.devices[0] as any).profile = 'no-such-profile'),
      /^devices\[0\]\.profile: no profile named "no-such-profile" \(known for synthetic: /,
    ],
    ['not a mapping', (d) => ((d as any).devices = 'all'), /^devices: .*expected array/],
    ['bad port from the environment', () => {}, /^\$GRIDGATE_HTTP_PORT: must be a TCP port number/, { GRIDGATE_HTTP_PORT: 'http' }],
    ['bad site from the environment', () => {}, /^site: must be lower-case/, { GRIDGATE_SITE: 'Bad Site' }],
  ];

  it.each(cases)('reports %s with path, reason and an example', (_name, mutate, expected, env) => {
    const found = problems(mutate, env);
    expect(
      found.some((p) => expected.test(p)),
      found.join('\n'),
    ).toBe(true);
  });

  it('lists every problem at once, not only the first', () => {
    const found = problems((d) => {
      d.site = 'X';
      d.http = { port: -1 };
      d.devices[0]!.points[0]!.unit = 'furlong';
    });
    expect(found.length).toBeGreaterThanOrEqual(3);
  });

  it('applies environment overrides', () => {
    const r = validateConfig(valid(), {
      baseDir: '/tmp',
      env: {
        GRIDGATE_PLATFORM_URL: 'mqtts://p:8883',
        GRIDGATE_HTTP_PORT: '9090',
        GRIDGATE_DATA_DIR: '/var/lib/x',
        GRIDGATE_SITE: 'other-site',
        GRIDGATE_GATEWAY: 'gw-9',
      },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.loaded.config).toMatchObject({
      platform: { url: 'mqtts://p:8883' },
      http: { port: 9090 },
      dataDir: '/var/lib/x',
      site: 'other-site',
      gateway: 'gw-9',
    });
    expect(Object.isFrozen(r.loaded.config.platform)).toBe(true);
  });

  it('reads unreadable, empty and malformed files as problems, not crashes', () => {
    const t = tempDir();
    writeFileSync(join(t.dir, 'empty.yaml'), '');
    writeFileSync(join(t.dir, 'bad.yaml'), 'gateway: [unclosed');
    expect(loadConfigFile(join(t.dir, 'missing.yaml'))).toMatchObject({ ok: false, problems: [{ message: 'cannot be read (ENOENT)' }] });
    expect(loadConfigFile(join(t.dir, 'empty.yaml'))).toMatchObject({ ok: false, problems: [{ message: 'is empty' }] });
    const bad = loadConfigFile(join(t.dir, 'bad.yaml'));
    expect(bad.ok ? '' : bad.problems[0]!.message).toMatch(/is not valid YAML or JSON/);
    t.cleanup();
  });

  it('gridgate check-config exits 0 on a valid file and 1 listing the problems', () => {
    const t = tempDir();
    writeFileSync(join(t.dir, 'bad.yaml'), 'gateway: GW\nsite: s\nplatform: { url: "ftp://x" }\n');
    const cli = (file: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'gateway/cli/main.ts'), 'check-config', file], { cwd: ROOT, encoding: 'utf8' });
    const ok = cli(join(ROOT, 'config/demo.yaml'));
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/valid — gateway gw-demo-01/);
    const bad = cli(join(t.dir, 'bad.yaml'));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/2 problems/);
    expect(bad.stderr).toMatch(/gateway: must be lower-case/);
    expect(bad.stderr).toMatch(/platform\.url: must be an mqtt/);
    t.cleanup();
  });
});
