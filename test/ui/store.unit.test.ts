import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../gateway/config/schema/gateway-config.js';
import { silentLogger } from '../../gateway/core/logger.js';
import { AuditLog } from '../../gateway/ui/audit-log.js';
import { diffConfig } from '../../gateway/ui/config-diff.js';
import { ConfigStore } from '../../gateway/config/config-store.js';
import { LoginThrottle } from '../../gateway/ui/login-throttle.js';
import { LogRing } from '../../gateway/ui/log-ring.js';
import { hashPassword, verifyPassword } from '../../gateway/ui/password-hash.js';
import { redactDoc } from '../../gateway/ui/redact.js';
import { commitSecrets, sealSecrets } from '../../gateway/ui/sealed-secrets.js';
import { SecretStore } from '../../gateway/ui/secret-store.js';
import { SessionStore } from '../../gateway/ui/sessions.js';
import { tempDir, testConfig } from '../helpers/gateway-harness.js';

function makeStore(dir: string, apply: (c: Readonly<GatewayConfig>) => Promise<void>) {
  return new ConfigStore({ dir: join(dir, 'store'), baseDir: process.cwd(), env: {}, log: silentLogger(), apply: async (c) => void (await apply(c)) });
}

describe('configuration store', () => {
  it('imports the installer file once, saves each version as its own file, and survives a reopen', async () => {
    const t = tempDir();
    try {
      const applied: number[] = [];
      const doc = testConfig('mqtt://127.0.0.1:1883', join(t.dir, 'data')) as Record<string, unknown>;
      const s = makeStore(t.dir, async (c) => void applied.push(c.batching.maxReadings));
      s.open({ doc, by: 'installer', reason: 'first start' });
      expect(s.current()).toMatchObject({ version: 1, source: 'import', status: 'applied', by: 'installer' });
      const r = s.propose({ ...doc, batching: { maxReadings: 7, maxDelayMs: 10 } }, { by: 'ana', reason: 'tune', source: 'ui' });
      if (!r.ok) throw new Error('invalid');
      expect(r.version.status).toBe('pending');
      expect((await r.done).status).toBe('applied');
      expect(applied).toEqual([7]);
      expect(s.current().version).toBe(2);
      expect(s.get(1)!.status).toBe('superseded');
      expect(readdirSync(join(t.dir, 'store', 'versions')).sort()).toEqual(['000001.json', '000002.json']);
      // No temp files are left behind by the atomic writes.
      expect(readdirSync(join(t.dir, 'store')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      const again = makeStore(t.dir, async () => {});
      again.open({ doc: { gateway: 'ignored' }, by: 'installer', reason: 'second start' });
      expect(again.current().version).toBe(2);
      expect(again.list().map((v) => `${v.version}:${v.by}`)).toEqual(['2:ana', '1:installer']);
    } finally {
      t.cleanup();
    }
  });

  it('refuses an invalid document with readable problems and saves nothing', () => {
    const t = tempDir();
    try {
      const doc = testConfig('mqtt://127.0.0.1:1883', join(t.dir, 'data')) as Record<string, unknown>;
      const s = makeStore(t.dir, async () => {});
      s.open({ doc, by: 'installer', reason: 'first' });
      const r = s.propose({ ...doc, platform: { url: 'mqtt://u:p@host' } }, { by: 'ana', reason: 'x', source: 'ui' });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.problems[0]).toMatchObject({ path: 'platform.url' });
      expect(s.list()).toHaveLength(1);
    } finally {
      t.cleanup();
    }
  });

  it('a change that fails to apply is marked failed and the previous version is applied again', async () => {
    const t = tempDir();
    try {
      const applied: number[] = [];
      const doc = testConfig('mqtt://127.0.0.1:1883', join(t.dir, 'data')) as Record<string, unknown>;
      const s = makeStore(t.dir, async (c) => {
        if (c.batching.maxReadings === 13) throw new Error('port 8080 is in use');
        applied.push(c.batching.maxReadings);
      });
      s.open({ doc, by: 'installer', reason: 'first' });
      const r = s.propose({ ...doc, batching: { maxReadings: 13 } }, { by: 'ana', reason: 'bad luck', source: 'ui' });
      if (!r.ok) throw new Error('invalid');
      const v = await r.done;
      expect(v).toMatchObject({ status: 'failed', error: 'port 8080 is in use' });
      expect(applied).toEqual([500]);
      expect(s.current().version).toBe(1);
      expect(s.current().status).toBe('applied');
    } finally {
      t.cleanup();
    }
  });

  it('applies queued changes one at a time, in order, and rolls back to any version', async () => {
    const t = tempDir();
    try {
      const log: string[] = [];
      const doc = testConfig('mqtt://127.0.0.1:1883', join(t.dir, 'data')) as Record<string, unknown>;
      const s = makeStore(t.dir, async (c) => {
        log.push(`start ${c.batching.maxReadings}`);
        await new Promise((r) => setTimeout(r, 5));
        log.push(`end ${c.batching.maxReadings}`);
      });
      s.open({ doc, by: 'installer', reason: 'first' });
      const a = s.propose({ ...doc, batching: { maxReadings: 1 } }, { by: 'a', reason: '1', source: 'ui' });
      const b = s.propose({ ...doc, batching: { maxReadings: 2 } }, { by: 'b', reason: '2', source: 'ui' });
      if (!a.ok || !b.ok) throw new Error('invalid');
      await b.done;
      expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
      const back = s.rollback(1, 'c', 'undo both');
      if (!back.ok) throw new Error('invalid');
      expect(await back.done).toMatchObject({ status: 'applied', restores: 1, source: 'rollback' });
      expect(s.current().doc).toEqual(s.get(1)!.doc);
      expect(s.rollback(99, 'c', '').ok).toBe(false);
    } finally {
      t.cleanup();
    }
  });

  it('a version left pending by a crash is reported failed on reopen; the pointer still names the last applied one', () => {
    const t = tempDir();
    try {
      const doc = testConfig('mqtt://127.0.0.1:1883', join(t.dir, 'data')) as Record<string, unknown>;
      const s = makeStore(t.dir, async () => new Promise(() => {}));
      s.open({ doc, by: 'installer', reason: 'first' });
      s.propose({ ...doc, batching: { maxReadings: 3 } }, { by: 'a', reason: 'x', source: 'ui' });
      const reopened = makeStore(t.dir, async () => {});
      reopened.open();
      expect(reopened.current().version).toBe(1);
      expect(reopened.get(2)!.status).toBe('failed');
    } finally {
      t.cleanup();
    }
  });
});

describe('secrets, sessions, throttling, audit, redaction', () => {
  it('secret store: AES-GCM at rest, key in its own file, tampering detected', () => {
    const t = tempDir();
    try {
      const file = join(t.dir, 'data', 'secrets.json');
      const s = new SecretStore({ file, keyFile: join(t.dir, 'etc', 'secret.key') });
      s.open();
      expect(s.set('DEV_CAM_1_PASSWORD', 'hunter2-camera')).toBe('GRIDGATE_SECRET_DEV_CAM_1_PASSWORD');
      expect(readFileSync(file, 'utf8')).not.toContain('hunter2');
      const other = new SecretStore({ file, keyFile: join(t.dir, 'etc', 'secret.key') });
      other.open();
      expect(other.env()).toEqual({ GRIDGATE_SECRET_DEV_CAM_1_PASSWORD: 'hunter2-camera' });
      expect(other.list()[0]).not.toHaveProperty('value');
      const sealed = JSON.parse(readFileSync(file, 'utf8'));
      sealed.DEV_CAM_1_PASSWORD.data = Buffer.from('something else').toString('base64');
      writeFileSync(file, JSON.stringify(sealed));
      const tampered = new SecretStore({ file, keyFile: join(t.dir, 'etc', 'secret.key') });
      tampered.open();
      expect(() => tampered.env()).toThrow();
      const wrongKey = new SecretStore({ file, keyFile: join(t.dir, 'other.key') });
      wrongKey.open();
      expect(() => wrongKey.env()).toThrow();
    } finally {
      t.cleanup();
    }
  });

  it('a password typed in a form becomes a reference; the value goes only to the secret store', () => {
    const t = tempDir();
    try {
      const sealed = sealSecrets({ id: 'cam-031', username: 'gridgate', password: { $secret: 'p@ss w0rd' }, nested: [{ token: { $secret: 't' } }] }, [
        'dev',
        'cam-031',
      ]);
      expect(sealed.doc).toEqual({
        id: 'cam-031',
        username: 'gridgate',
        password: { env: 'GRIDGATE_SECRET_DEV_CAM_031_PASSWORD' },
        nested: [{ token: { env: 'GRIDGATE_SECRET_DEV_CAM_031_NESTED_0_TOKEN' } }],
      });
      expect(JSON.stringify(sealed.doc)).not.toContain('p@ss');
      const store = new SecretStore({ file: join(t.dir, 's.json'), keyFile: join(t.dir, 'k') });
      store.open();
      commitSecrets(store, sealed.pending);
      expect(store.env().GRIDGATE_SECRET_DEV_CAM_031_PASSWORD).toBe('p@ss w0rd');
    } finally {
      t.cleanup();
    }
  });

  it('scrypt hashes verify, differ per salt, and reject a wrong password', async () => {
    const a = await hashPassword('a long enough password');
    const b = await hashPassword('a long enough password');
    expect(a).not.toBe(b);
    expect(await verifyPassword('a long enough password', a)).toBe(true);
    expect(await verifyPassword('a long enough passwore', a)).toBe(false);
    expect(await verifyPassword('x', 'plain')).toBe(false);
  });

  it('sessions end after the idle timeout and after the absolute timeout', () => {
    let now = 0;
    const s = new SessionStore({ idleMs: 1000, absoluteMs: 5000 }, () => now);
    const idle = s.create('ana', 'admin', '127.0.0.1');
    now = 1001;
    expect(s.get(idle.id)).toBeUndefined();
    const busy = s.create('ana', 'admin', '127.0.0.1');
    for (let i = 0; i < 5; i++) {
      now += 900;
      expect(s.get(busy.id)?.user).toBe('ana');
    }
    now += 600; // 5.1 s after login, although used every 0.9 s
    expect(s.get(busy.id)).toBeUndefined();
    expect(s.get('forged')).toBeUndefined();
  });

  it('throttling doubles the wait, is capped, and forgets: no permanent lockout', () => {
    let now = 0;
    const t = new LoginThrottle({ freePerPair: 2, freePerAddress: 100, freePerSubject: 100, baseDelayMs: 1000, maxDelayMs: 4000, forgetMs: 60_000 }, () => now);
    t.fail('user:ana', '10.0.0.9');
    t.fail('user:ana', '10.0.0.9');
    expect(t.waitMs('user:ana', '10.0.0.9')).toBe(1000);
    t.fail('user:ana', '10.0.0.9');
    expect(t.waitMs('user:ana', '10.0.0.9')).toBe(2000);
    for (let i = 0; i < 10; i++) t.fail('user:ana', '10.0.0.9');
    expect(t.waitMs('user:ana', '10.0.0.9')).toBe(4000);
    // Another address, or another name, is not slowed by this one's failures.
    expect(t.waitMs('user:ana', '10.0.0.10')).toBe(0);
    expect(t.waitMs('user:bob', '10.0.0.9')).toBe(0);
    now += 4000;
    expect(t.waitMs('user:ana', '10.0.0.9')).toBe(0);
    now += 61_000;
    t.fail('user:ana', '10.0.0.9');
    expect(t.waitMs('user:ana', '10.0.0.9')).toBe(0);
  });

  it('the audit log only appends, with secrets redacted', () => {
    const t = tempDir();
    try {
      const a = new AuditLog(join(t.dir, 'audit.jsonl'));
      a.append({ who: 'ana', action: 'device.add', outcome: 'ok', diff: { password: 'plain!', url: 'rtsp://u:pw@cam/1' } });
      a.append({ who: '(anonymous)', action: 'login', outcome: 'refused' });
      const text = readFileSync(join(t.dir, 'audit.jsonl'), 'utf8');
      expect(text.trim().split('\n')).toHaveLength(2);
      expect(text).not.toContain('plain!');
      expect(text).not.toContain('pw@');
      expect(a.recent()[0]).toMatchObject({ who: '(anonymous)', action: 'login' });
    } finally {
      t.cleanup();
    }
  });

  it('redaction and diffs: secret literals, URL credentials; devices matched by id', () => {
    expect(redactDoc({ password: 'x', nested: { token: 'y', url: 'rtsp://a:b@h/s' }, ref: { password: { env: 'P' } } })).toEqual({
      password: '[redacted]',
      nested: { token: '[redacted]', url: 'rtsp://***:***@h/s' },
      ref: { password: { env: 'P' } },
    });
    const d = diffConfig(
      {
        devices: [
          { id: 'a', x: 1 },
          { id: 'b', x: 1 },
        ],
      },
      { devices: [{ id: 'b', x: 2 }] },
    );
    expect(d).toEqual([
      { path: 'devices[id=a]', kind: 'removed', before: { id: 'a', x: 1 } },
      { path: 'devices[id=b].x', kind: 'changed', before: 1, after: 2 },
    ]);
  });

  it('the log buffer filters by level and text and redacts what it returns', () => {
    const ring = new LogRing(3);
    ring.write(`${JSON.stringify({ level: 30, msg: 'one' })}\n`);
    ring.write(`${JSON.stringify({ level: 50, msg: 'cam failed', url: 'rtsp://admin:pw@10.0.0.5/s', password: 'p' })}\n`);
    ring.write(`${JSON.stringify({ level: 20, msg: 'debug' })}\n`);
    ring.write(`${JSON.stringify({ level: 40, msg: 'warned' })}\n`);
    expect(ring.query().map((l) => l.msg)).toEqual(['warned', 'debug', 'cam failed']);
    const errors = ring.query({ level: 'error' });
    expect(errors).toHaveLength(1);
    expect(JSON.stringify(errors)).not.toContain('pw@');
    expect(errors[0]!.password).toBe('[redacted]');
    expect(ring.query({ text: 'WARN' }).map((l) => l.msg)).toEqual(['warned']);
  });
});
