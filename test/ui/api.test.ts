import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createLogger } from '../../gateway/core/logger.js';
import { LoginThrottle } from '../../gateway/ui/login-throttle.js';
import { LogRing } from '../../gateway/ui/log-ring.js';
import { UserStore } from '../../gateway/ui/users.js';
import { settled, startUi, UiClient, type UiHarness } from './ui-harness.js';

const ADMIN = { user: 'admin', password: 'correct horse battery' };

describe('technician UI API: auth, roles, CSRF, throttling, validation, secrets', () => {
  const ring = new LogRing();
  let h: UiHarness;
  let admin: UiClient;
  let clock = 1_000_000;

  beforeAll(async () => {
    h = await startUi({
      log: createLogger({ level: 'info', destination: ring }),
      ui: {
        logs: ring,
        throttle: new LoginThrottle(
          { freePerPair: 4, freePerAddress: 4, freePerSubject: 8, baseDelayMs: 60_000, maxDelayMs: 600_000, forgetMs: 3_600_000 },
          () => clock,
        ),
      },
    });
    admin = new UiClient(h.url);
  });
  afterAll(async () => h?.stop());

  it('has no default user: login fails before setup, and the session says setup is needed', async () => {
    const c = new UiClient(h.url);
    expect((await c.get('/api/ui/session')).body).toEqual({ setupNeeded: true });
    for (const password of ['admin', 'password', 'gridgate']) expect((await c.login('admin', password)).status).toBe(401);
    expect((await c.get('/api/ui/dashboard')).status).toBe(401);
    clock += 7_200_000; // failures are forgotten after an hour
  });

  it('first visit: a wrong setup code is refused and audited; the printed code creates the admin', async () => {
    const code = h.setupCode();
    expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    const c = new UiClient(h.url);
    const wrong = await c.post('/api/ui/setup', { code: 'AAAA-BBBB-CCCC', ...ADMIN });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('E_UI_SETUP_CODE');
    const weak = await c.post('/api/ui/setup', { code, user: 'admin', password: 'short' });
    expect(weak.status).toBe(400);
    expect(weak.body.error.field).toBe('password');
    const ok = await admin.post('/api/ui/setup', { code: code.toLowerCase(), ...ADMIN });
    expect(ok.status).toBe(200);
    expect(ok.body.role).toBe('admin');
    const cookie = ok.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).not.toMatch(/Secure/i); // plain HTTP on loopback; Secure is set when served over HTTPS
    const again = await new UiClient(h.url).post('/api/ui/setup', { code, user: 'evil', password: 'another long password' });
    expect(again.status).toBe(409);
    const audit = (await admin.get('/api/ui/audit')).body.entries;
    expect(audit.some((e: any) => e.action === 'setup' && e.outcome === 'refused')).toBe(true);
    expect(audit.some((e: any) => e.action === 'setup' && e.outcome === 'ok' && e.who === 'admin')).toBe(true);
  });

  it('CSRF: a change without the token, with a wrong one, or from another origin is refused', async () => {
    const noToken = await admin.request('POST', '/api/ui/mode', { mode: 'holiday', reason: 'test' }, { 'x-csrf-token': '' });
    expect(noToken.status).toBe(403);
    expect(noToken.body.error.code).toBe('E_UI_CSRF');
    const wrongToken = await admin.request('POST', '/api/ui/mode', { mode: 'holiday', reason: 'test' }, { 'x-csrf-token': 'x'.repeat(32) });
    expect(wrongToken.status).toBe(403);
    const otherOrigin = await admin.request('POST', '/api/ui/mode', { mode: 'holiday', reason: 'test' }, { origin: 'http://evil.example' });
    expect(otherOrigin.status).toBe(403);
    expect(h.gateway().status().mode).toBe('normal');
    const ok = await admin.post('/api/ui/mode', { mode: 'holiday', reason: 'market day' });
    expect(ok.status).toBe(200);
    expect(h.gateway().status().mode).toBe('holiday');
    const audit = (await admin.get('/api/ui/audit')).body.entries;
    expect(audit.filter((e: any) => e.action === 'mode.set' && e.outcome === 'refused')).toHaveLength(3);
    expect(audit.find((e: any) => e.action === 'mode.set' && e.outcome === 'ok')).toMatchObject({ who: 'admin', reason: 'market day' });
  });

  it('roles: a viewer reads but cannot change; a technician cannot import configuration', async () => {
    expect((await admin.post('/api/ui/users', { name: 'vera', role: 'viewer', password: 'viewer password 1' })).status).toBe(200);
    expect((await admin.post('/api/ui/users', { name: 'tom', role: 'technician', password: 'technician pass 1' })).status).toBe(200);
    const viewer = new UiClient(h.url);
    expect((await viewer.login('vera', 'viewer password 1')).status).toBe(200);
    expect((await viewer.get('/api/ui/dashboard')).status).toBe(200);
    const denied = await viewer.post('/api/ui/mode', { mode: 'normal', reason: 'viewer tries' });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('E_UI_FORBIDDEN');
    expect((await viewer.get('/api/ui/audit')).status).toBe(403);
    expect((await viewer.get('/api/ui/logs')).status).toBe(403);
    const tech = new UiClient(h.url);
    expect((await tech.login('tom', 'technician pass 1')).status).toBe(200);
    expect((await tech.post('/api/ui/mode', { mode: 'normal', reason: 'back to normal' })).status).toBe(200);
    expect((await tech.post('/api/ui/config/import', { text: 'gateway: x' })).status).toBe(403);
    expect((await tech.post('/api/ui/users', { name: 'x1', role: 'admin', password: 'escalate me now' })).status).toBe(403);
    const audit = (await admin.get('/api/ui/audit')).body.entries;
    expect(audit.some((e: any) => e.who === 'vera' && e.outcome === 'refused' && e.action === 'mode.set')).toBe(true);
    expect(audit.some((e: any) => e.who === 'tom' && e.outcome === 'refused' && e.action === 'config.import')).toBe(true);
  });

  it('throttles per user and per address, says when to retry, and never locks out for good', async () => {
    clock += 7_200_000;
    const c = new UiClient(h.url);
    for (let i = 0; i < 4; i++) expect((await c.login('vera', 'wrong password')).status).toBe(401);
    const throttled = await c.login('vera', 'viewer password 1');
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another user from the same address is throttled too (per address).
    expect((await c.login('tom', 'technician pass 1')).status).toBe(429);
    clock += 61_000;
    expect((await c.login('vera', 'viewer password 1')).status).toBe(200);
    const audit = (await admin.get('/api/ui/audit')).body.entries;
    expect(audit.some((e: any) => e.action === 'login' && e.reason === 'throttled')).toBe(true);
    clock += 7_200_000;
  });

  it('a password reset from the shell ends the sessions opened before it', async () => {
    const c = new UiClient(h.url);
    expect((await c.login('tom', 'technician pass 1')).status).toBe(200);
    expect((await c.get('/api/ui/dashboard')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 20));
    // `gridgate passwd tom --state-dir …`, the password on stdin (not a terminal).
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import('./gateway/cli/passwd-command.ts').then((m) => m.passwdCommand('tom', { stateDir: ${JSON.stringify(join(h.dir, 'data', 'ui'))} })).then((c) => process.exit(c))`,
      ],
      {
        input: 'a new password from shell\n',
        encoding: 'utf8',
      },
    );
    expect(run.stderr).toContain('password set for tom');
    expect(run.status).toBe(0);
    expect(new UserStore(join(h.dir, 'data', 'ui', 'users.json')).get('tom')?.role).toBe('technician');
    expect((await c.get('/api/ui/dashboard')).status).toBe(401);
    expect((await c.login('tom', 'technician pass 1')).status).toBe(401);
    expect((await c.login('tom', 'a new password from shell')).status).toBe(200);
    const users = readFileSync(join(h.dir, 'data', 'ui', 'users.json'), 'utf8');
    expect(users).toMatch(/"hash": "scrypt\$32768\$8\$1\$/);
    expect(users).not.toContain('a new password from shell');
    expect((await admin.get('/api/ui/audit')).body.entries).toContainEqual(
      expect.objectContaining({ who: 'shell', action: 'user.password-reset', target: 'user tom' }),
    );
  });

  it('validation errors come from the config schema, with the field, the reason and an example', async () => {
    const bad = await admin.post('/api/ui/devices', {
      device: {
        id: 'mb-1',
        kind: 'modbus',
        driver: 'modbus',
        connection: { transport: 'tcp', host: '127.0.0.1', port: 70000 },
        points: [{ name: 't', address: 0, unit: 'furlongs' }],
      },
    });
    expect(bad.status).toBe(400);
    const fields = bad.body.error.problems.map((p: any) => p.field);
    expect(fields).toContain('connection.port');
    expect(fields).toContain('points[0].unit');
    const unit = bad.body.error.problems.find((p: any) => p.field === 'points[0].unit');
    expect(unit.message).toMatch(/UCUM/);
    expect(unit.example).toBe('Cel');
    const dup = await admin.post('/api/ui/devices', { device: { id: 'env-1', kind: 'other', driver: 'synthetic', points: [] } });
    expect(dup.status).toBe(400);
    expect(JSON.stringify(dup.body)).toMatch(/already used/);
    const badMode = await admin.post('/api/ui/mode', { mode: 'party', reason: 'x' });
    expect(badMode.body.error.field).toBe('mode');
  });

  it('secrets are write-only: stored encrypted, referenced in the configuration, never returned, exported or logged', async () => {
    const secret = 'S3cret-broker-pa55';
    const r = await admin.request('PUT', '/api/ui/config/platform-password', { value: secret });
    expect(r.status).toBe(202);
    const v = await settled(admin, r.body.version.version);
    expect(v.status).toBe('applied');
    const current = await admin.get('/api/ui/config/current');
    expect(current.body.doc.platform.password).toEqual({ env: 'GRIDGATE_SECRET_PLATFORM_PASSWORD' });
    const texts = [
      JSON.stringify(current.body),
      (await admin.get('/api/ui/config/export')).body,
      (await admin.get('/api/ui/config/export?format=json')).body,
      JSON.stringify((await admin.get(`/api/ui/config/versions/${v.version}`)).body),
      JSON.stringify((await admin.get('/api/ui/audit')).body),
      readFileSync(join(h.dir, 'data', 'ui', 'secrets.json'), 'utf8'),
      readFileSync(join(h.dir, 'data', 'ui', 'audit.jsonl'), 'utf8'),
    ];
    for (const t of texts) expect(t).not.toContain(secret);
    expect(JSON.stringify(current.body.secrets)).toContain('PLATFORM_PASSWORD');
    // The gateway got it (decrypted in memory only), and the key is not in the data folder.
    expect(h.secrets.env().GRIDGATE_SECRET_PLATFORM_PASSWORD).toBe(secret);
    expect(readFileSync(join(h.dir, 'etc', 'secret.key'), 'utf8').trim()).toHaveLength(44);
  });

  it('imports with a diff preview, applies, and rolls back to an earlier version', async () => {
    const current = (await admin.get('/api/ui/config/current')).body;
    const doc = structuredClone(current.doc);
    doc.batching = { maxReadings: 250, maxDelayMs: 75 };
    const text = JSON.stringify(doc);
    const preview = await admin.post('/api/ui/config/preview', { text });
    expect(preview.body.ok).toBe(true);
    expect(preview.body.diff).toContainEqual({ path: 'batching.maxReadings', kind: 'changed', before: 500, after: 250 });
    const invalid = await admin.post('/api/ui/config/preview', { text: JSON.stringify({ ...doc, batching: { maxReadings: 0 } }) });
    expect(invalid.body.ok).toBe(false);
    expect(invalid.body.problems[0].path).toBe('batching.maxReadings');
    const imported = await admin.post('/api/ui/config/import', { text, reason: 'smaller batches' });
    expect(imported.status).toBe(202);
    expect((await settled(admin, imported.body.version.version)).status).toBe('applied');
    expect(h.gateway().config.batching.maxReadings).toBe(250);
    const back = await admin.post('/api/ui/config/rollback', { version: current.version.version, reason: 'undo' });
    expect(back.status).toBe(202);
    const rolled = await settled(admin, back.body.version.version);
    expect(rolled).toMatchObject({ status: 'applied', source: 'rollback', restores: current.version.version, by: 'admin' });
    expect(h.gateway().config.batching.maxReadings).toBe(500);
    const history = (await admin.get('/api/ui/config/versions')).body.versions;
    expect(history[0]).toMatchObject({ version: back.body.version.version, by: 'admin', reason: 'undo' });
  });

  it('the live events feed needs a session, and streams events as they happen', async () => {
    const anon = new WebSocket(`${h.url.replace('http', 'ws')}/api/ui/ws/events`, { headers: { origin: h.url } });
    const code = await new Promise<number>((r) => anon.on('close', (c) => r(c)));
    expect(code).toBe(4401);
    const ws = new WebSocket(`${h.url.replace('http', 'ws')}/api/ui/ws/events`, { headers: { origin: h.url, cookie: admin.cookie } });
    const types: string[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (m) => {
        for (const e of JSON.parse(m.toString()).events) types.push(e.type);
        if (types.includes('mode.changed') && types.filter((t) => t === 'crowd.density').length > 3) resolve();
      });
      ws.on('error', reject);
      ws.on('open', () => void admin.post('/api/ui/mode', { mode: 'major-event', reason: 'concert' }));
    });
    ws.close();
    expect(types).toContain('mode.changed');
  });

  it('logs: recent lines, filtered by level and text, with secrets redacted', async () => {
    h.gateway().logger.warn(
      { url: 'rtsp://admin:cam-secret-9@10.0.0.5/stream1', password: 'cam-secret-9' },
      'camera rtsp://admin:cam-secret-9@10.0.0.5/stream1 refused',
    );
    h.gateway().logger.info('an ordinary line');
    const tech = new UiClient(h.url);
    await tech.login('tom', 'a new password from shell');
    const warn = (await tech.get('/api/ui/logs?level=warn&text=camera')).body.lines;
    expect(warn.length).toBeGreaterThan(0);
    expect(JSON.stringify(warn)).not.toContain('cam-secret-9');
    expect(warn[0].msg).toContain('rtsp://***:***@10.0.0.5');
    const all = (await tech.get('/api/ui/logs?level=info')).body.lines.map((l: any) => l.msg);
    expect(all).toContain('an ordinary line');
  });

  it('serves the whole front end from the box: no external address, strict CSP, the player local', async () => {
    const c = new UiClient(h.url);
    const root = await c.get('/');
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/ui/');
    const page = await c.get('/ui/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const player = await c.get('/ui/vendor/jsmpeg.js');
    expect(player.status).toBe(200);
    expect(player.headers.get('content-type')).toMatch(/javascript/);
    for (const file of [
      'index.html',
      'app.js',
      'api.js',
      'dom.js',
      'schema-form.js',
      'style.css',
      ...readdirSync(join('ui', 'pages')).map((f) => `pages/${f}`),
    ]) {
      const text = readFileSync(join('ui', file), 'utf8');
      expect(text, file).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
      expect(text, file).not.toMatch(/import[^'"]*['"]https?:/);
      expect((await c.get(`/ui/${file}`)).status, file).toBe(200);
    }
  });

  it('logout ends the session', async () => {
    const c = new UiClient(h.url);
    await c.login('vera', 'viewer password 1');
    expect((await c.post('/api/ui/logout')).status).toBe(200);
    expect((await c.get('/api/ui/dashboard')).status).toBe(401);
  });
});

describe('a change that fails to apply', () => {
  let h: UiHarness;
  let fail = false;
  beforeAll(async () => {
    h = await startUi({ failApply: () => fail });
  });
  afterAll(async () => h?.stop());

  it('is recorded as failed with the reason, and the running configuration is kept', async () => {
    const admin = new UiClient(h.url);
    await admin.post('/api/ui/setup', { code: h.setupCode(), user: 'admin', password: 'rollback password' });
    fail = true;
    const r = await admin.post('/api/ui/devices', {
      device: { id: 'env-2', kind: 'other', driver: 'synthetic', points: [{ name: 'x', wave: 'constant', min: 1 }] },
      reason: 'doomed',
    });
    expect(r.status).toBe(202);
    const v = await settled(admin, r.body.version.version);
    expect(v).toMatchObject({ status: 'failed', error: 'simulated apply failure: the new configuration did not start' });
    const versions = (await admin.get('/api/ui/config/versions')).body;
    expect(versions.current).toBe(1);
    expect(h.gateway().config.devices.map((d) => d.id)).toEqual(['env-1']);
    expect(
      h
        .gateway()
        .deviceStates()
        .find((d) => d.device === 'env-1')?.status,
    ).toBe('online');
    fail = false;
    const again = await admin.post('/api/ui/devices', {
      device: { id: 'env-2', kind: 'other', driver: 'synthetic', points: [{ name: 'x', wave: 'constant', min: 1 }] },
      reason: 'second try',
    });
    expect((await settled(admin, again.body.version.version)).status).toBe('applied');
    expect(h.gateway().config.devices.map((d) => d.id)).toEqual(['env-1', 'env-2']);
  });
});
