import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnapshotFetcher } from '../../drivers/onvif/snapshot/snapshot-fetcher.js';
import { DigestVerifier } from '../../simulators/onvif/sim-auth.js';
import { testCardJpeg } from '../../simulators/onvif/jpeg-encoder.js';

const creds = { username: 'admin', password: 'pw' };
const digest = new DigestVerifier(creds, 'snap-test');
let server: http.Server;
let base: string;
const seen: Array<string | undefined> = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push(req.headers.authorization);
    if (digest.check(req) !== 'ok') {
      res.writeHead(401, { 'www-authenticate': digest.challenge() });
      return void res.end();
    }
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      return void res.end(Buffer.alloc(50_000, 0xff));
    }
    if (req.url === '/html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return void res.end('<html>login</html>');
    }
    res.writeHead(200, { 'content-type': 'image/jpeg' });
    res.end(testCardJpeg(1, 'unit'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function fetcher(_clock?: unknown, password = 'pw') {
  return new SnapshotFetcher({ where: 'unit-cam', username: 'admin', password, agent: new http.Agent({ keepAlive: true }), timeoutMs: 2000, maxBytes: 10_000 });
}

describe('snapshot fetcher', () => {
  it('answers the Digest challenge, then reuses it, and never sends credentials from the URI as Basic', async () => {
    seen.length = 0;
    const f = fetcher();
    const jpeg = await f.fetch(`${base.replace('http://', 'http://evil:leak@')}/snap`);
    expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
    await f.fetch(`${base}/snap`);
    expect(seen[0]).toBeUndefined();
    expect(seen.slice(1).every((h) => h?.startsWith('Digest '))).toBe(true);
    expect(seen).toHaveLength(3);
  });

  it('caps the size, checks it is a JPEG, and reports a wrong password', async () => {
    await expect(fetcher().fetch(`${base}/big`)).rejects.toMatchObject({ code: 'E_ONVIF_TOO_LARGE' });
    await expect(fetcher().fetch(`${base}/html`)).rejects.toMatchObject({ code: 'E_ONVIF_SNAPSHOT' });
    await expect(fetcher(undefined, 'nope').fetch(`${base}/snap`)).rejects.toMatchObject({ code: 'E_ONVIF_AUTH' });
  });
});
