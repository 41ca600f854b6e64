import { cpSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretStore } from '../../gateway/ui/secret-store.js';
import { tempDir } from '../helpers/gateway-harness.js';
import { settled, startUi, UiClient, type UiHarness } from '../ui/ui-harness.js';

const PASSWORDS = {
  admin: 'Admin-pa55-at-rest',
  viewer: 'Viewer-pa55-at-rest',
  platform: 'Broker-pa55-at-rest',
  camera: 'Camera-pa55-at-rest',
  typo: 'Typo-pa55-at-rest',
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

// "Also": a data folder copied off the box (a stolen SD card, a backup) without
// /etc/gridgate/secret.key reveals no password.
describe('attack: copy the data folder and read the passwords', () => {
  let h: UiHarness;
  const loot = tempDir('gridgate-sec-loot-');
  beforeAll(async () => {
    h = await startUi();
    const admin = new UiClient(h.url);
    expect((await admin.post('/api/ui/setup', { code: h.setupCode(), user: 'admin', password: PASSWORDS.admin })).status).toBe(200);
    expect((await admin.post('/api/ui/users', { name: 'vera', role: 'viewer', password: PASSWORDS.viewer })).status).toBe(200);
    expect((await new UiClient(h.url).login('vera', PASSWORDS.typo)).status).toBe(401);
    const platform = await admin.request('PUT', '/api/ui/config/platform-password', { value: PASSWORDS.platform });
    expect((await settled(admin, platform.body.version.version)).status).toBe('applied');
    const camera = await admin.post('/api/ui/devices', {
      device: {
        id: 'cam-9',
        kind: 'camera',
        driver: 'onvif',
        url: 'http://127.0.0.1:9/onvif/device_service',
        username: 'admin',
        password: { $secret: PASSWORDS.camera },
      },
    });
    expect(camera.status).toBeLessThan(300);
    await settled(admin, camera.body.version.version);
    await h.store.idle();
    cpSync(join(h.dir, 'data'), join(loot.dir, 'data'), { recursive: true });
  });
  afterAll(async () => {
    await h?.stop();
    loot.cleanup();
  });

  it('no file of the copy holds a password in clear (UTF-8, UTF-16 or base64)', () => {
    const files = filesUnder(join(loot.dir, 'data'));
    expect(files.some((f) => f.endsWith('secrets.json'))).toBe(true);
    expect(files.some((f) => f.endsWith('users.json'))).toBe(true);
    for (const f of files) {
      const bytes = readFileSync(f);
      for (const p of Object.values(PASSWORDS)) {
        for (const form of [Buffer.from(p), Buffer.from(p, 'utf16le'), Buffer.from(Buffer.from(p).toString('base64'))])
          expect(bytes.includes(form), `${f} holds ${p}`).toBe(false);
      }
    }
  });

  it('without the key the sealed secrets do not open; the key is not in the data folder', () => {
    expect(
      filesUnder(join(loot.dir, 'data')).some((f) => readFileSync(f, 'utf8').includes(readFileSync(join(h.dir, 'etc', 'secret.key'), 'utf8').trim())),
    ).toBe(false);
    const thief = new SecretStore({ file: join(loot.dir, 'data', 'ui', 'secrets.json'), keyFile: join(loot.dir, 'guessed.key') });
    thief.open(); // makes a fresh key: AES-256-GCM's tag check refuses it
    expect(() => thief.env()).toThrow(/authenticate/);
    // The box itself, with its key, opens them.
    const owner = new SecretStore({ file: join(loot.dir, 'data', 'ui', 'secrets.json'), keyFile: join(h.dir, 'etc', 'secret.key') });
    owner.open();
    expect(Object.values(owner.env()).sort()).toEqual([PASSWORDS.camera, PASSWORDS.platform].sort());
  });

  it('user passwords are scrypt hashes; the state files are readable by the service user only', () => {
    const users = JSON.parse(readFileSync(join(loot.dir, 'data', 'ui', 'users.json'), 'utf8')).users as Array<{ hash: string }>;
    for (const u of users) expect(u.hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    for (const name of ['users.json', 'secrets.json', 'audit.jsonl', 'failed-logins.json', 'ui-tls.key']) {
      const f = join(h.dir, 'data', 'ui', name);
      let mode: number;
      try {
        mode = statSync(f).mode & 0o777;
      } catch {
        continue; // ui-tls.key only exists with HTTPS
      }
      expect(mode, name).toBe(0o600);
    }
    expect(statSync(join(h.dir, 'etc', 'secret.key')).mode & 0o777).toBe(0o600);
  });
});
