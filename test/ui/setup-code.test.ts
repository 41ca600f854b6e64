import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../gateway/core/logger.js';
import { Gateway } from '../../gateway/daemon.js';
import { TechnicianUi } from '../../gateway/ui/ui-extension.js';
import { startUi, UiClient, type UiHarness } from './ui-harness.js';

const CODE = /[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}/g;

// Issue 17: the one-time setup code was made per process and printed at every restart, so the
// journal held several codes and `journalctl -u gridgate | grep setup` could not say which held.
describe('the one-time setup code survives restarts until setup, and is printed once', () => {
  let h: UiHarness;
  const journal: string[] = [];
  let stateDir: string;
  let lastUrl = '';
  let restarts = 0;

  /** A later start of the daemon process: a new UI instance on the same state folder, a new gateway. */
  async function restart(): Promise<void> {
    const log = silentLogger();
    const ui = new TechnicianUi({ stateDir, store: h.store, secrets: h.secrets, log, announce: (t) => journal.push(t) });
    const config = h.gateway().config;
    // Its own data folder (outbox): the harness's gateway still runs on the first one.
    const dataDir = join(h.dir, `data-restart-${++restarts}`);
    const g = new Gateway({ config: { ...config, dataDir, http: { ...config.http, port: 0 } }, baseDir: process.cwd(), log, env: {}, extensions: [ui] });
    await g.start();
    lastUrl = `http://127.0.0.1:${g.httpPort}`;
    // Ready (uplink connected) before it may be stopped: a stop during the uplink's first connect
    // races the outbox closing (a core matter, reported separately).
    await vi.waitFor(async () => expect((await fetch(`${lastUrl}/readyz`)).status).toBe(200), { timeout: 20_000, interval: 50 });
    afterStops.push(() => g.stop());
  }
  const afterStops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of afterStops.splice(0).reverse()) await stop();
  };

  beforeAll(async () => {
    h = await startUi();
    stateDir = join(h.dir, 'data', 'ui');
    journal.push(`gridgate: ${h.setupCode() ? `the first start printed the one-time setup code ${h.setupCode()}` : 'no code'}`);
  });
  afterAll(async () => {
    await stopAll();
    await h?.stop();
  });

  it('two restarts keep the same code in <stateDir>/setup-code (0600); the journal has exactly one code', async () => {
    const first = h.setupCode();
    expect(first).toMatch(CODE);
    const file = join(stateDir, 'setup-code');
    expect(readFileSync(file, 'utf8').trim()).toBe(first);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await restart();
    await restart();
    expect(readFileSync(file, 'utf8').trim()).toBe(first);
    // Each start said that setup is pending, but only the first one printed a code.
    expect(journal).toHaveLength(3);
    const grep = journal.filter((l) => /setup/i.test(l));
    expect(grep).toHaveLength(1);
    expect(new Set(journal.join('\n').match(CODE))).toEqual(new Set([first]));
    expect(journal[2]).toMatch(/no UI user exists yet.*one-time code printed when it was made/);
    // The code of a restarted process is the printed one: it creates the admin there.
    const ok = await new UiClient(lastUrl).post('/api/ui/setup', { code: first, user: 'admin', password: 'a long admin password' });
    expect(ok.status).toBe(200);
    expect(existsSync(file)).toBe(false);
  });

  it('after setup, a restart prints nothing and makes no file', async () => {
    await stopAll();
    const before = journal.length;
    await restart();
    expect(journal.length).toBe(before);
    expect(existsSync(join(stateDir, 'setup-code'))).toBe(false);
    const again = await new UiClient(lastUrl).post('/api/ui/setup', { code: h.setupCode(), user: 'evil', password: 'another long password' });
    expect(again.status).toBe(409);
  });

  it('deleting the file while no user exists rotates the code: the next start prints a new one', async () => {
    await stopAll();
    rmSync(join(stateDir, 'users.json'));
    const before = journal.length;
    await restart();
    const printed = journal.slice(before);
    expect(printed).toHaveLength(1);
    const code = printed[0]!.match(CODE)?.[0];
    expect(code).toBeDefined();
    expect(code).not.toBe(h.setupCode());
    expect(readFileSync(join(stateDir, 'setup-code'), 'utf8').trim()).toBe(code);
  });
});
