import { readFileSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSelfSignedCertificate } from '../../gateway/ui/tls-certificate.js';
import { startUi, type UiHarness } from './ui-harness.js';

function httpsPost(url: string, ca: string, body: unknown): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', ca, headers: { 'content-type': 'application/json', origin: u.origin } },
      (res) => {
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('HTTPS with a certificate made at first start', () => {
  let h: UiHarness;
  beforeAll(async () => {
    h = await startUi();
  });
  afterAll(async () => h?.stop());

  it('makes the certificate once (key 0600), reuses it, and serves the UI with Secure cookies', async () => {
    const dir = join(h.dir, 'data', 'ui');
    const first = await ensureSelfSignedCertificate(dir, { hosts: ['gridgate.local', 'localhost'], ips: ['127.0.0.1'] });
    expect(statSync(join(dir, 'ui-tls.key')).mode & 0o777).toBe(0o600);
    const again = await ensureSelfSignedCertificate(dir, { hosts: ['other'], ips: [] });
    expect(again.fingerprint).toBe(first.fingerprint);
    expect(first.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);

    // The same UI on an HTTPS server (what http-server.ts does when TLS is on).
    const app = Fastify({ https: { key: first.key, cert: first.cert } });
    await h.ui.registerHttp(app);
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const port = (app.server.address() as { port: number }).port;
      // The browser check: the certificate names 127.0.0.1 (subjectAltName), trusted once pinned.
      const r = await httpsPost(`https://127.0.0.1:${port}/api/ui/setup`, readFileSync(join(dir, 'ui-tls.crt'), 'utf8'), {
        code: h.setupCode(),
        user: 'admin',
        password: 'over tls password',
      });
      expect(r.status).toBe(200);
      const cookie = String(r.headers['set-cookie']);
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/SameSite=Strict/i);
      expect(cookie).toMatch(/Secure/i);
    } finally {
      await app.close();
    }
  });
});
