import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_THROTTLE, LoginThrottle } from '../../gateway/ui/login-throttle.js';
import { startUi, type UiHarness } from '../ui/ui-harness.js';
import { ADMIN, Browser, makeAdmin } from './attack-client.js';

// Finding 1: 50 wrong passwords for `admin` from one address made the real admin, with the right
// password from another address, get 429; a paced attacker kept the lockout growing.
describe('attack: lock the admin out by guessing its password', () => {
  let h: UiHarness;
  let admin: Browser;
  beforeAll(async () => {
    // The throttle's clock stands still (no wall-clock in tests: on a loaded machine a wait could
    // pass between two guesses); the request-rate window is 10 min for the same reason.
    h = await startUi({ ui: { throttle: new LoginThrottle(DEFAULT_THROTTLE, () => 0), loginRate: { max: 10, windowMs: 600_000 } } });
    admin = await makeAdmin(h.url, h.setupCode());
    expect((await admin.call('POST', '/api/ui/users', { name: 'vera', role: 'viewer', password: 'viewer password 1' })).status).toBe(200);
  });
  afterAll(async () => h?.stop());

  it('50 wrong passwords from one address: that address is slowed, the real admin from another logs in at once and is told', async () => {
    const attacker = new Browser(h.url, '127.0.0.66');
    const answers: number[] = [];
    for (let i = 0; i < 50; i++) answers.push((await attacker.login('admin', `guess number ${i}`)).status);
    // The first guesses are checked (401), then the attacker waits (429): by the throttle, then by the request rate.
    expect(answers.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(answers.slice(5).every((s) => s === 429)).toBe(true);
    // Even the right password does not get through from the attacking address while it waits.
    expect((await attacker.login(ADMIN.user, ADMIN.password)).status).toBe(429);

    const real = new Browser(h.url, '127.0.0.7');
    const ok = await real.login(ADMIN.user, ADMIN.password);
    expect(ok.status).toBe(200);
    // The admin learns of the attack at this login: how many, and from where.
    expect(ok.body.failedSinceLastLogin).toMatchObject({ count: 5, lastAddress: '127.0.0.66' });
    expect((await real.call('GET', '/api/ui/session')).body.failedSinceLastLogin).toMatchObject({ count: 5, lastAddress: '127.0.0.66' });
    // ... and it is audited with the login.
    const audit = (await real.call('GET', '/api/ui/audit?limit=200')).body.entries as Array<Record<string, string>>;
    expect(audit.find((e) => e.action === 'login' && e.outcome === 'ok' && e.address === '127.0.0.7')?.reason).toMatch(
      /5 failed attempt\(s\) since the last login, the last from 127\.0\.0\.66/,
    );
    expect(audit.filter((e) => e.action === 'login' && e.outcome === 'refused' && e.address === '127.0.0.66').length).toBeGreaterThanOrEqual(5);
    // Told once: the next login has nothing to report.
    expect((await new Browser(h.url, '127.0.0.7').login(ADMIN.user, ADMIN.password)).body.failedSinceLastLogin).toBeUndefined();
  });

  it('a guesser spread over 16 addresses is slowed per address, and never locks the real user out', async () => {
    const first: number[] = [];
    const second: number[] = [];
    for (let a = 0; a < 16; a++) {
      const from = `127.0.1.${a + 1}`;
      first.push((await new Browser(h.url, from).login('vera', `spread guess ${a}-1`)).status);
      second.push((await new Browser(h.url, from).login('vera', `spread guess ${a}-2`)).status);
    }
    // A fresh address gets its guess checked (that is what keeps the real user in); once 10 have
    // failed against the name, every address that has failed against it waits.
    expect(first.every((s) => s === 401)).toBe(true);
    expect(second.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(second.slice(5).every((s) => s === 429)).toBe(true);
    // The real user, from an address that has not failed, is never refused.
    const vera = new Browser(h.url, '127.0.0.8');
    const ok = await vera.login('vera', 'viewer password 1');
    expect(ok.status).toBe(200);
    expect(ok.body.failedSinceLastLogin.count).toBeGreaterThanOrEqual(10);
    expect(ok.body.failedSinceLastLogin.lastAddress).toMatch(/^127\.0\.1\.\d+$/);
  });

  it('one address cannot hammer the password route: the request rate is capped (@fastify/rate-limit)', async () => {
    const flood = new Browser(h.url, '127.0.0.99');
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await flood.login(`nobody${i}`, 'x')).status);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    const limited = await flood.login('nobody', 'x');
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('E_UI_THROTTLED');
    expect(limited.headers['retry-after']).toBeDefined();
    // Others are not affected.
    expect((await new Browser(h.url, '127.0.0.100').login(ADMIN.user, ADMIN.password)).status).toBe(200);
  });
});
