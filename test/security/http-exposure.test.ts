import { request as plainRequest } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../gateway/config/load-config.js';
import { silentLogger } from '../../gateway/core/logger.js';
import { httpsWanted } from '../../gateway/http/access.js';
import { startHttpServer } from '../../gateway/http/http-server.js';
import { GatewayMetrics } from '../../gateway/observability/metrics.js';
import { tempDir } from '../helpers/gateway-harness.js';
import { startUi, type UiHarness } from '../ui/ui-harness.js';
import { ADMIN, Browser, send } from './attack-client.js';

const TOKEN = 'metrics-token-0123456789abcdef';
const LAN_PEER = '10.20.0.99';

/** The security headers every answer must carry (finding 7). */
function expectSecurityHeaders(headers: Record<string, unknown>, what: string, https: boolean) {
  expect(String(headers['content-security-policy']), what).toMatch(/frame-ancestors 'none'/);
  expect(String(headers['content-security-policy']), what).toMatch(/default-src 'self'/);
  expect(headers['x-content-type-options'], what).toBe('nosniff');
  expect(headers['referrer-policy'], what).toBe('no-referrer');
  expect(headers['x-frame-options'], what).toBe('DENY');
  if (https) expect(String(headers['strict-transport-security']), what).toMatch(/max-age=31536000/);
  else expect(headers['strict-transport-security'], what).toBeUndefined();
}

// Finding 5: production.yaml bound 0.0.0.0 over plain HTTP; /api/status (every device, model,
// firmware, serial, stream address) and /metrics answered anyone.
describe('attack: read the status page and metrics from the site LAN', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    const server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      log: silentLogger(),
      metrics: new GatewayMetrics(),
      refreshMetrics: () => {},
      readiness: () => [{ name: 'uplink', ok: false, detail: 'disconnected since 12:00: mqtts://platform.example:8883 not authorized' }],
      status: () => ({ devices: [{ id: 'cam-031', firmware: 'V5.5.0', serial: 'DS-2CD2143' }] }),
      metricsToken: TOKEN,
      authenticated: () => false,
    });
    app = server.app;
  });
  afterAll(async () => app?.close());

  const fromLan = (url: string, headers: Record<string, string> = {}) =>
    app.inject({ url, remoteAddress: LAN_PEER, headers: { host: '127.0.0.1', ...headers } });

  it('/api/status needs a session or the token, even from the box itself', async () => {
    expect((await fromLan('/api/status')).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/status', headers: { host: '127.0.0.1' } })).statusCode).toBe(401);
    expect((await fromLan('/api/status', { authorization: 'Bearer wrong-token' })).statusCode).toBe(401);
    const ok = await fromLan('/api/status', { authorization: `Bearer ${TOKEN}` });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().devices[0].serial).toBe('DS-2CD2143');
  });

  it('/metrics needs the bearer token from the LAN; loopback is served', async () => {
    const refused = await fromLan('/metrics');
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(refused.body).not.toMatch(/gridgate_/);
    expect((await fromLan('/metrics', { authorization: `Bearer ${TOKEN}` })).statusCode).toBe(200);
    expect((await app.inject({ url: '/metrics', headers: { host: '127.0.0.1' } })).statusCode).toBe(200);
  });

  it('/healthz and /readyz stay open and say nothing sensitive to the LAN', async () => {
    expect((await fromLan('/healthz')).json()).toEqual({ ok: true });
    const ready = await fromLan('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ ready: false, checks: [{ name: 'uplink', ok: false }] });
    expect(ready.body).not.toMatch(/platform\.example|authorized/);
    // The box itself (and the monitoring token) get the details.
    expect((await fromLan('/readyz', { authorization: `Bearer ${TOKEN}` })).json().checks[0].detail).toMatch(/not authorized/);
  });

  it('HTTPS is on by default as soon as the UI listens beyond loopback; the production example uses all of it', () => {
    expect(httpsWanted({ host: '0.0.0.0' })).toBe(true);
    expect(httpsWanted({ host: '10.20.0.5' })).toBe(true);
    expect(httpsWanted({ host: '::' })).toBe(true);
    expect(httpsWanted({ host: '127.0.0.1' })).toBe(false);
    expect(httpsWanted({ host: '127.0.0.1', tls: { selfSigned: true } })).toBe(true);
    expect(httpsWanted({ host: '0.0.0.0', tls: false })).toBe(false);
    const r = loadConfigFile(resolve('config/examples/production.yaml'), { PLATFORM_PASSWORD: 'x' });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const http = r.loaded.config.http;
    expect(http.host).toBe('0.0.0.0');
    expect(httpsWanted(http)).toBe(true);
    expect(http.metrics.token).toEqual({ file: '/etc/gridgate/metrics.token' });
  });
});

describe('attack: sniff passwords over plain HTTP (UI with HTTPS)', () => {
  let h: UiHarness;
  let announced = '';
  let base = '';
  const tmp = tempDir('gridgate-sec-tls-');
  beforeAll(async () => {
    writeFileSync(join(tmp.dir, 'metrics.token'), `${TOKEN}\n`, { mode: 0o600 });
    h = await startUi({
      overrides: { http: { host: '127.0.0.1', port: 0, tls: { selfSigned: true }, metrics: { token: { file: join(tmp.dir, 'metrics.token') } } } },
      ui: { announce: (t) => (announced = t) },
    });
    base = h.url.replace('http://', 'https://');
  });
  afterAll(async () => {
    await h?.stop();
    tmp.cleanup();
  });

  it('the setup message gives the https address and the certificate fingerprint', () => {
    expect(announced).toMatch(/Open https:\/\/127\.0\.0\.1:\d+\/ui\//);
    expect(announced).toMatch(/fingerprint ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    expect(h.gateway().httpInfo.fingerprint).toBe(/fingerprint (\S+)\./.exec(announced)?.[1]);
  });

  it('plain HTTP on the port is refused; over HTTPS login works with a Secure cookie, HSTS and the headers', async () => {
    const plain = await new Promise<string>((done) => {
      const req = plainRequest(`${h.url}/api/ui/login`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) =>
        done(`answered ${res.statusCode}`),
      );
      req.on('error', (err) => done(`refused: ${(err as NodeJS.ErrnoException).code}`));
      req.end(JSON.stringify(ADMIN));
    });
    expect(plain).toMatch(/^refused/);
    const admin = new Browser(base, '127.0.0.1', true);
    const code = /setup code ([0-9A-Z-]+)/.exec(announced)![1]!;
    const r = await admin.call('POST', '/api/ui/setup', { code, ...ADMIN });
    expect(r.status).toBe(200);
    expect(String(r.headers['set-cookie'])).toMatch(/Secure/);
    expectSecurityHeaders(r.headers, 'setup over https', true);
    const status = await admin.call('GET', '/api/status');
    expect(status.status).toBe(200);
    expectSecurityHeaders(status.headers, '/api/status over https', true);
    // The token from the configuration's secret file works for a scraper.
    expect((await send(`${base}/api/status`, { insecure: true, headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });
});

// Finding 7: security headers on every response, the API included.
describe('attack: frame or sniff any answer (security headers)', () => {
  let h: UiHarness;
  beforeAll(async () => {
    h = await startUi();
  });
  afterAll(async () => h?.stop());

  it('every kind of answer carries CSP with frame-ancestors none, nosniff, referrer policy; no HSTS over plain HTTP', async () => {
    const answers: Array<[string, Awaited<ReturnType<typeof send>>]> = [
      ['UI page', await send(`${h.url}/ui/`)],
      ['UI script', await send(`${h.url}/ui/app.js`)],
      ['API 401', await send(`${h.url}/api/ui/dashboard`)],
      ['API JSON', await send(`${h.url}/api/ui/session`)],
      ['/api/status 401', await send(`${h.url}/api/status`)],
      ['/metrics', await send(`${h.url}/metrics`)],
      ['/healthz', await send(`${h.url}/healthz`)],
      ['/readyz', await send(`${h.url}/readyz`)],
      ['404', await send(`${h.url}/nothing-here`)],
      ['421 wrong host', await send(`${h.url}/ui/`, { headers: { host: 'evil.example' } })],
      ['login 400/401', await send(`${h.url}/api/ui/login`, { body: { user: 'x', password: 'y' }, headers: { origin: h.url } })],
    ];
    for (const [what, r] of answers) expectSecurityHeaders(r.headers, what, false);
    expect(answers.find(([w]) => w === '/api/status 401')![1].status).toBe(401);
    expect(answers.find(([w]) => w === 'API JSON')![1].headers['cache-control']).toBe('no-store');
  });
});
