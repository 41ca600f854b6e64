import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { formatProblem } from '../../gateway/config/config-problems.js';
import { validateConfig } from '../../gateway/config/load-config.js';
import { contractValidator } from '../helpers/contract.js';
import { TEST_ROOT, tempDir, testConfig } from '../helpers/gateway-harness.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { freePort, startMosquitto } from '../helpers/mosquitto.js';
import { PlatformRecorder } from '../helpers/platform.js';

const CONFIRM_MS = 3000;
const SECRET = 'hunter2-correct-horse-battery';
const contract = contractValidator();

/** Every file under a folder, recursively. */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

/**
 * Remote configuration through the contract, against Debian's Mosquitto and a real `gridgate run`
 * process (the configuration store lives there): config-get, config-apply, config-rollback.
 */
describe('remote configuration commands', () => {
  const tmp = tempDir();
  const dataDir = join(tmp.dir, 'data');
  let broker: Awaited<ReturnType<typeof startMosquitto>>;
  let platform: PlatformRecorder;
  let gw: GatewayProcess;
  let n = 0;

  /** Sends a command and waits for its result; resends with the same id (as a platform does) when no result came. */
  const send = async (name: string, args: Record<string, unknown>, id = `c-${++n}`): Promise<any> => {
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await platform.command(TEST_ROOT, name, { id, args });
        expect(contract.check('command-result', result)).toBeUndefined();
        return result;
      } catch (err) {
        if (attempt >= 6) throw err;
      }
    }
  };
  const current = async () => (await send('config-get', {})).result;
  const changed = () => platform.events('vendor.config.changed');
  const env = () => ({ GRIDGATE_SECRET_KEY_FILE: join(tmp.dir, 'secret.key') });
  const versionFile = (v: number) => join(dataDir, 'config-store', 'versions', `${String(v).padStart(6, '0')}.json`);

  beforeAll(async () => {
    broker = await startMosquitto(tmp.dir);
    platform = new PlatformRecorder(broker.url);
    await platform.start();
    const base = testConfig(broker.url, dataDir);
    gw = new GatewayProcess(tmp.dir, { ...base, platform: { ...base.platform!, configConfirmMs: CONFIRM_MS } });
    gw.start(env());
    await platform.until(() => platform.of('state').some((m) => m.doc?.online === true), 30_000, 'gateway online');
  });

  afterAll(async () => {
    await gw?.kill('SIGTERM');
    await platform?.stop();
    await broker?.stop();
    tmp.cleanup();
  });

  it('config-get answers the current version, the redacted document and its hash', async () => {
    const r = await send('config-get', {});
    expect(r.ok).toBe(true);
    expect(r.result.version).toMatchObject({ version: 1, by: 'installer', status: 'applied' });
    expect(r.result.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(r.result.doc.gateway).toBe('gw-test-01');
  });

  it('config-apply with a patch: applied, audited by platform, reported as vendor.config.changed; a replayed id is not applied twice', async () => {
    const before = await current();
    const args = { baseVersion: before.version.version, patch: { batching: { maxDelayMs: 80 } }, reason: 'slower batches' };
    const r = await send('config-apply', args, 'apply-1');
    expect(r.ok).toBe(true);
    expect(r.result).toMatchObject({ version: before.version.version + 1, status: 'applied', changes: '1 change: batching.maxDelayMs changed' });
    await platform.until(() => changed().some((e) => e.data.version === r.result.version), 15_000, 'config.changed event');
    const event = changed().find((e) => e.data.version === r.result.version);
    expect(event.data).toMatchObject({ by: 'platform', command: 'apply-1', previous: before.version.version, status: 'applied' });
    expect(event.data.summary).toContain('batching.maxDelayMs');
    const again = await send('config-apply', args, 'apply-1');
    expect(again).toEqual(r);
    expect((await current()).version.version).toBe(r.result.version);
    const audit = readFileSync(join(dataDir, 'ui', 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(audit.filter((a) => a.who === 'platform' && a.action === 'config.apply' && a.outcome === 'ok')).toHaveLength(1);
  });

  it('reports a change made on site (file + SIGHUP) as vendor.config.changed too', async () => {
    const cur = await current();
    const doc = parseYaml(readFileSync(gw.configPath, 'utf8')) as Record<string, any>;
    doc.batching = { ...doc.batching, maxReadings: 400 };
    writeFileSync(gw.configPath, stringify(doc));
    gw.child!.kill('SIGHUP');
    await platform.until(
      () => changed().some((e) => e.data.by === 'shell' && e.data.version === cur.version.version + 1),
      15_000,
      'event for the shell change',
    );
    const event = changed().find((e) => e.data.by === 'shell');
    expect(event.data).toMatchObject({ source: 'shell', previous: cur.version.version, status: 'applied' });
    expect(event.data.summary).toContain('batching.maxReadings');
  });

  it('refuses a stale base version with E_CONFIG_STALE', async () => {
    const r = await send('config-apply', { baseVersion: 1, patch: { batching: { maxDelayMs: 90 } } });
    expect(r.ok).toBe(false);
    expect(r.error.code).toBe('E_CONFIG_STALE');
    expect(r.error.message).toMatch(/baseVersion 1 is not the current version \d+/);
  });

  it('refuses an invalid document with the texts check-config gives', async () => {
    const cur = await current();
    const patch = { batching: { maxDelayMs: -5 }, devices: [{ id: 'x', driver: 'nope' }] };
    const r = await send('config-apply', { baseVersion: cur.version.version, patch });
    expect(r.ok).toBe(false);
    expect(r.error.code).toBe('E_CONFIG_INVALID');
    const expected = validateConfig(
      { ...testConfig('mqtt://127.0.0.1:1', dataDir), ...patch, batching: { maxReadings: 500, maxDelayMs: -5 } },
      { baseDir: process.cwd(), env: {} },
    );
    expect(expected.ok).toBe(false);
    for (const p of expected.ok ? [] : expected.problems) expect(r.error.message).toContain(formatProblem(p));
    expect((await current()).version.version).toBe(cur.version.version);
  });

  it('refuses hostile arguments with a clear error and changes nothing', async () => {
    const cur = await current();
    const proto = await platform.command(
      TEST_ROOT,
      'config-apply',
      `{"id":"h-1","args":{"baseVersion":${cur.version.version},"patch":{"batching":{"__proto__":{"maxDelayMs":1}}}}}`,
    );
    expect(proto.error).toMatchObject({ code: 'E_BAD_ARGS', message: 'args.patch.batching: the key "__proto__" is not allowed' });
    const both = await send('config-apply', { baseVersion: cur.version.version, doc: {}, patch: {} });
    expect(both.error.code).toBe('E_BAD_ARGS');
    const list = await send('config-apply', { baseVersion: cur.version.version, patch: [1, 2] as unknown as Record<string, unknown> });
    expect(list.error.code).toBe('E_BAD_ARGS');
    const noVersion = await send('config-rollback', { version: 999 });
    expect(noVersion.error).toMatchObject({ code: 'E_BAD_ARGS', message: 'args.version: there is no version 999' });
    expect((await current()).version.version).toBe(cur.version.version);
  });

  it('config-rollback restores an earlier version as a new one', async () => {
    const cur = await current();
    const r = await send('config-rollback', { version: 1, baseVersion: cur.version.version });
    expect(r.ok).toBe(true);
    const now = await current();
    expect(now.version).toMatchObject({ version: cur.version.version + 1, source: 'rollback', restores: 1, by: 'platform' });
    expect(now.doc.batching.maxDelayMs).toBe(50);
  });

  it('reports a device that does not come up, per device', async () => {
    const cur = await current();
    const port = await freePort();
    const devices = [
      ...cur.doc.devices,
      {
        id: 'meter-x',
        kind: 'modbus',
        driver: 'modbus',
        profile: 'modbus-power-meter',
        connection: { transport: 'tcp', host: '127.0.0.1', port },
        unitId: 1,
        intervalMs: 200,
        timeoutMs: 200,
        retries: 0,
      },
    ];
    const r = await send('config-apply', { baseVersion: cur.version.version, patch: { devices } });
    expect(r.ok).toBe(true);
    expect(r.result.devices).toEqual([expect.objectContaining({ device: 'meter-x', status: expect.stringMatching(/offline|error/) })]);
  });

  it('takes a write-only password and never gives it back; the platform heard from on the new connection keeps the version', async () => {
    const cur = await current();
    const states = platform.of('state').length;
    const r = await send('config-apply', { baseVersion: cur.version.version, patch: { platform: { username: 'gw-test-01', password: { $secret: SECRET } } } });
    expect(r.ok).toBe(true);
    expect(r.result).toMatchObject({ status: 'applying', confirmWithinMs: CONFIRM_MS });
    // The new connection says online; the platform's next command confirms the change.
    await platform.until(
      () =>
        platform
          .of('state')
          .slice(states)
          .some((m) => m.doc?.online === true),
      15_000,
      'reconnect',
    );
    const got = await send('config-get', {});
    expect(got.result.version.version).toBe(r.result.version);
    expect(got.result.doc.platform.password).toEqual({ env: 'GRIDGATE_SECRET_CFG_PLATFORM_PASSWORD' });
    expect(JSON.stringify(got)).not.toContain(SECRET);
    expect(existsSync(join(dataDir, 'config-store', 'confirm-pending.json'))).toBe(false);
    for (const f of files(dataDir)) expect(readFileSync(f).includes(SECRET), f).toBe(false);
    // Nothing the gateway sent carries it (the platform's own command did).
    for (const m of platform.messages.filter((x) => x.kind !== 'command')) expect(m.payload.includes(SECRET), m.topic).toBe(false);
    // A document that came back from config-get (secrets as references) applies as it is.
    const same = await send('config-apply', { baseVersion: got.result.version.version, doc: got.result.doc });
    expect(same.result.status).toBe('unchanged');
  });

  it('rolls back by itself when a new platform URL does not work, within the confirmation time', async () => {
    const cur = await current();
    const dead = `mqtt://127.0.0.1:${await freePort()}`;
    const started = performance.now();
    const r = await send('config-apply', { baseVersion: cur.version.version, patch: { platform: { url: dead } } });
    expect(r.result).toMatchObject({ status: 'applying', confirmWithinMs: CONFIRM_MS });
    await platform.until(() => changed().some((e) => e.data.status === 'rolled-back' && e.data.previous === r.result.version), 30_000, 'automatic rollback');
    const elapsed = performance.now() - started;
    const event = changed().find((e) => e.data.status === 'rolled-back');
    expect(event.message).toMatch(/no word from the platform within the confirmation time after version \d+ .*automatic rollback to version \d+/);
    expect(event.data.restores).toBe(cur.version.version);
    const now = await current();
    expect(now.version).toMatchObject({ source: 'auto-rollback', restores: cur.version.version, by: 'gridgate' });
    expect(now.doc.platform.url).toBe(broker.url);
    // Deadline, then one reconnect to the good broker (backoff 100..1000 ms).
    expect(elapsed).toBeGreaterThanOrEqual(CONFIRM_MS);
    console.log(`automatic rollback reported ${Math.round(elapsed)} ms after config-apply (deadline ${CONFIRM_MS} ms)`);
  });

  it('a restart (kill -9) inside the confirmation window still rolls back', async () => {
    const cur = await current();
    const dead = `mqtt://127.0.0.1:${await freePort()}`;
    const r = await send('config-apply', { baseVersion: cur.version.version, patch: { platform: { url: dead } } });
    expect(r.result.status).toBe('applying');
    await vi.waitFor(() => expect(JSON.parse(readFileSync(versionFile(r.result.version), 'utf8')).status).toBe('applied'), { timeout: 15_000, interval: 50 });
    expect(existsSync(join(dataDir, 'config-store', 'confirm-pending.json'))).toBe(true);
    await gw.kill('SIGKILL');
    gw.start(env());
    await platform.until(
      () => changed().some((e) => e.data.status === 'rolled-back' && e.data.previous === r.result.version),
      60_000,
      'automatic rollback after the restart',
    );
    const now = await current();
    expect(now.version).toMatchObject({ source: 'auto-rollback', restores: cur.version.version });
    expect(now.doc.platform.url).toBe(broker.url);
  });
});
