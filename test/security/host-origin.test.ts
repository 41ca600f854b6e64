import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hostOf } from '../../gateway/http/access.js';
import { startUi, type UiHarness } from '../ui/ui-harness.js';
import { ADMIN, Browser, makeAdmin, send } from './attack-client.js';

// Finding 6: `Host: evil.example` with the same Origin passed the Origin check (DNS rebinding: a
// page of evil.example whose name is made to resolve to the box talks to the UI as "same origin").
describe('attack: DNS rebinding and foreign origins', () => {
  let h: UiHarness;
  let port = '';
  beforeAll(async () => {
    h = await startUi({ overrides: { http: { host: '127.0.0.1', port: 0, allowedHosts: ['gw-test.site.lan'] } } });
    port = new URL(h.url).port;
    await makeAdmin(h.url, h.setupCode());
  });
  afterAll(async () => h?.stop());

  it('a rebound name is refused on every route, whatever the Origin says', async () => {
    const evil = `evil.example:${port}`;
    for (const [path, body] of [
      ['/api/ui/login', ADMIN],
      ['/api/ui/session', undefined],
      ['/ui/', undefined],
      ['/api/status', undefined],
      ['/metrics', undefined],
    ] as const) {
      const r = await send(h.url + path, { body, headers: { host: evil, origin: `http://${evil}` } });
      expect(r.status, path).toBe(421);
      expect(r.body.error.code).toBe('E_HTTP_HOST');
    }
    // Nothing logged in, no cookie handed out.
    const login = await send(`${h.url}/api/ui/login`, { body: ADMIN, headers: { host: evil, origin: `http://${evil}` } });
    expect(login.headers['set-cookie']).toBeUndefined();
  });

  it('the websockets refuse a rebound name and a foreign Origin', async () => {
    const b = new Browser(h.url);
    expect((await b.login(ADMIN.user, ADMIN.password)).status).toBe(200);
    const rebound = await b.socket('/api/ui/ws/events', { host: `evil.example:${port}`, origin: `http://evil.example:${port}` });
    expect(rebound.closed?.code).toBe(421);
    const foreign = await b.socket('/api/ui/ws/events', { origin: 'http://evil.example' });
    await vi.waitFor(() => expect(foreign.closed?.code).toBe(4401));
    const ok = await b.socket('/api/ui/ws/events');
    await vi.waitFor(() => expect(ok.messages).toBeGreaterThan(0));
    expect(ok.closed).toBeUndefined();
    ok.close();
  });

  it('Origin must be the served origin: scheme, host and port', async () => {
    const b = new Browser(h.url);
    for (const origin of ['http://evil.example', `https://127.0.0.1:${port}`, 'http://127.0.0.1:1', 'null', `http://127.0.0.1:${port}.evil.example`]) {
      const r = await b.call('POST', '/api/ui/login', ADMIN, { origin });
      expect(r.status, origin).toBe(403);
      expect(r.body.error.code).toBe('E_UI_CSRF');
    }
    expect((await b.login(ADMIN.user, ADMIN.password)).status).toBe(200);
  });

  it('the names of the box are accepted: loopback, its host name, the configured ones', async () => {
    const named = await send(`${h.url}/api/ui/login`, {
      body: ADMIN,
      headers: { host: `gw-test.site.lan:${port}`, origin: `http://gw-test.site.lan:${port}` },
    });
    expect(named.status).toBe(200);
    expect((await send(`${h.url}/healthz`, { headers: { host: `localhost:${port}` } })).status).toBe(200);
    for (const bad of ['', 'user@127.0.0.1', '127.0.0.1/x', 'a b', 'x'.repeat(300)]) expect(hostOf(bad), bad).toBeUndefined();
    expect(hostOf('[::1]:8080')).toBe('::1');
    expect(hostOf('GW-Test.Site.Lan:443')).toBe('gw-test.site.lan');
  });
});
