import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DigestSession, parseAuthParams } from '../../drivers/onvif/soap/http-digest.js';
import { chooseChallenge, MAX_CHALLENGE_CHARS, sendWithDigest, splitChallenges } from '../../drivers/onvif/transport/digest-retry.js';
import type { HttpAnswer } from '../../drivers/onvif/transport/http-request.js';

/**
 * The Digest challenge and retry shared by SOAP calls and snapshot GETs, against crafted
 * challenges a broken or hostile camera could send. No sockets: `send` is a script of answers.
 * test/onvif/snapshot-fetcher.test.ts and driver-sim.test.ts run the same code over HTTP.
 */

function answer(status: number, challenge?: string | string[]): HttpAnswer {
  return { status, headers: challenge === undefined ? {} : { 'www-authenticate': challenge as string }, body: Buffer.alloc(0) };
}

/** A camera that answers from a script and records the Authorization header of each request. */
function camera(...answers: HttpAnswer[]) {
  const sent: Array<string | undefined> = [];
  const send = async (authorization: string | undefined) => {
    sent.push(authorization);
    const next = answers.shift();
    if (!next) throw new Error('the test camera got one request more than scripted');
    return next;
  };
  return { sent, send };
}

/** RFC 7616 §3.4.1 computed here with node:crypto, not with the code under test. */
function expectedResponse(algorithm: 'md5' | 'sha256', header: string, password: string, method: string): string {
  const p = parseAuthParams(header.replace(/^Digest\s+/, ''));
  const h = (s: string) => createHash(algorithm).update(s).digest('hex');
  const ha1 = h(`${p.username}:${p.realm}:${password}`);
  const ha2 = h(`${method}:${p.uri}`);
  return p.qop ? h(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`) : h(`${ha1}:${p.nonce}:${ha2}`);
}

const GOOD = 'Digest realm="cam", qop="auth", nonce="n1", opaque="o1"';

describe('chooseChallenge (what a camera offers in WWW-Authenticate)', () => {
  it('refuses, with a reason, a 401 without any Digest challenge', () => {
    expect(chooseChallenge(undefined)).toEqual({ problem: 'no WWW-Authenticate challenge' });
    expect(chooseChallenge('Basic realm="cam"')).toEqual({ problem: 'no Digest challenge (only other schemes)' });
    expect(chooseChallenge('')).toMatchObject({ problem: expect.stringMatching(/no Digest challenge/) });
  });

  it('refuses a challenge without nonce or without realm', () => {
    expect(chooseChallenge('Digest realm="cam", qop="auth"')).toEqual({ problem: 'a Digest challenge without nonce' });
    expect(chooseChallenge('Digest nonce="n1"')).toEqual({ problem: 'a Digest challenge without realm' });
    expect(chooseChallenge('Digest')).toMatchObject({ problem: expect.stringMatching(/without realm/) });
  });

  it('refuses algorithms it cannot compute instead of answering them with MD5', () => {
    for (const alg of ['SHA-512-256', 'MD5-sess', 'SHA-256-sess', 'ROT13']) {
      expect(chooseChallenge(`Digest realm="cam", nonce="n1", algorithm=${alg}`)).toEqual({ problem: `Digest algorithm "${alg}" (we answer MD5 or SHA-256)` });
    }
    // A camera's bytes in our message: printable and short.
    const hostile = chooseChallenge(`Digest realm="cam", nonce="n1", algorithm="\u001b[31m${'X'.repeat(100)}"`);
    expect('problem' in hostile && hostile.problem).toMatch(/^Digest algorithm "\?\[31mX+…" \(we answer/);
    expect(chooseChallenge('Digest realm="cam", nonce="n1", algorithm=sha-256')).toMatchObject({ challenge: { algorithm: 'SHA-256' } });
  });

  it('takes qop auth from a list, answers without qop when none is offered, refuses auth-int alone', () => {
    expect(chooseChallenge('Digest realm="cam", nonce="n1", qop="auth-int,auth"')).toMatchObject({ challenge: { qop: 'auth' } });
    expect(chooseChallenge('Digest realm="cam", nonce="n1", qop=" auth "')).toMatchObject({ challenge: { qop: 'auth' } });
    expect(chooseChallenge('Digest realm="cam", nonce="n1"')).toMatchObject({ challenge: { qop: undefined, algorithm: 'MD5' } });
    expect(chooseChallenge('Digest realm="cam", nonce="n1", qop="auth-int"')).toEqual({
      problem: 'Digest qop "auth-int" without "auth" (auth-int is not supported)',
    });
    expect(chooseChallenge('Digest realm="cam", nonce="n1", qop=""')).toMatchObject({ problem: expect.stringMatching(/qop/) });
  });

  it('refuses a huge challenge by its length, and reads a header of 16 KiB of commas in one pass', () => {
    const huge = `Digest realm="cam", nonce="${'n'.repeat(MAX_CHALLENGE_CHARS)}"`;
    expect(chooseChallenge(huge)).toEqual({ problem: `a Digest challenge of ${huge.length} characters (more than ${MAX_CHALLENGE_CHARS})` });
    expect(chooseChallenge(`Digest realm="cam", nonce="${'n'.repeat(1000)}"`)).toMatchObject({ challenge: { nonce: 'n'.repeat(1000) } });
    // Node's HTTP parser caps all headers at 16 KiB: the worst a camera can hand us.
    expect(chooseChallenge(`Digest ${'a,'.repeat(8000)}`)).toMatchObject({ problem: expect.stringMatching(/characters/) });
    expect(chooseChallenge(`Digest realm="${'\\"'.repeat(2000)}`)).toMatchObject({ problem: expect.any(String) });
    expect(splitChallenges(`${'x, '.repeat(5000)}Digest a=1`)).toEqual([`${'x, '.repeat(4999)}x`, 'Digest a=1']);
  });

  it('takes the first challenge it supports among several, in one field or many (RFC 7616 §3.7)', () => {
    const joined =
      'Digest realm="cam", nonce="n1", algorithm=SHA-512-256, qop="auth", Digest realm="cam", nonce="n2", algorithm=SHA-256, qop="auth", Basic realm="cam"';
    expect(splitChallenges(joined)).toHaveLength(3);
    expect(chooseChallenge(joined)).toMatchObject({ challenge: { nonce: 'n2', algorithm: 'SHA-256', qop: 'auth' } });
    expect(
      chooseChallenge(['Basic realm="cam"', 'Digest realm="cam", nonce="n3", algorithm=MD5', 'Digest realm="cam", nonce="n4", algorithm=SHA-256']),
    ).toMatchObject({ challenge: { nonce: 'n3', algorithm: 'MD5' } });
    // A comma and a scheme-like text inside quotes do not start a challenge.
    expect(chooseChallenge('Digest realm="a, Digest b=c", nonce="n5"')).toMatchObject({ challenge: { realm: 'a, Digest b=c', nonce: 'n5' } });
    // All refused: every reason is named.
    expect(chooseChallenge('Digest realm="cam", algorithm=MD5, Digest realm="cam", nonce="n", algorithm=SHA-512-256')).toEqual({
      problem: 'a Digest challenge without nonce; Digest algorithm "SHA-512-256" (we answer MD5 or SHA-256)',
    });
  });
});

describe('sendWithDigest (one exchange, at most one retry)', () => {
  const where = 'cam-1 snapshot';

  it('answers a challenge once and reuses it, with a growing nonce count', async () => {
    const session = new DigestSession('admin', 'pa:ss"w');
    const cam = camera(answer(401, GOOD), answer(200), answer(200));
    expect((await sendWithDigest({ session, method: 'GET', uri: '/snap?x=1', send: cam.send, where })).status).toBe(200);
    expect((await sendWithDigest({ session, method: 'GET', uri: '/snap?x=1', send: cam.send, where })).status).toBe(200);
    expect(cam.sent[0]).toBeUndefined();
    const [second, third] = [cam.sent[1]!, cam.sent[2]!];
    const p = parseAuthParams(second.replace(/^Digest\s+/, ''));
    expect(p).toMatchObject({ username: 'admin', realm: 'cam', nonce: 'n1', uri: '/snap?x=1', qop: 'auth', nc: '00000001', opaque: 'o1', algorithm: 'MD5' });
    expect(p.response).toBe(expectedResponse('md5', second, 'pa:ss"w', 'GET'));
    expect(parseAuthParams(third.replace(/^Digest\s+/, '')).nc).toBe('00000002');
  });

  it('computes SHA-256 when asked, and starts the count again on a stale nonce', async () => {
    const session = new DigestSession('admin', 'pw');
    const cam = camera(
      answer(401, 'Digest realm="cam", nonce="a", qop="auth", algorithm=SHA-256'),
      answer(200),
      answer(401, 'Digest realm="cam", nonce="b", qop="auth", algorithm=SHA-256, stale=true'),
      answer(200),
    );
    await sendWithDigest({ session, method: 'POST', uri: '/onvif/device_service', send: cam.send, where });
    await sendWithDigest({ session, method: 'POST', uri: '/onvif/device_service', send: cam.send, where });
    expect(cam.sent).toHaveLength(4);
    const last = cam.sent[3]!;
    expect(parseAuthParams(last.replace(/^Digest\s+/, ''))).toMatchObject({ nonce: 'b', nc: '00000001', algorithm: 'SHA-256' });
    expect(parseAuthParams(last.replace(/^Digest\s+/, '')).response).toBe(expectedResponse('sha256', last, 'pw', 'POST'));
  });

  it('a second 401 is a wrong password: E_ONVIF_AUTH after exactly two requests, and the challenge is forgotten', async () => {
    const session = new DigestSession('admin', 'wrong');
    const cam = camera(answer(401, GOOD), answer(401, GOOD), answer(200));
    await expect(sendWithDigest({ session, method: 'GET', uri: '/snap', send: cam.send, where })).rejects.toMatchObject({
      code: 'E_ONVIF_AUTH',
      message: 'cam-1 snapshot refused the credentials (HTTP 401)',
    });
    expect(cam.sent).toHaveLength(2);
    expect(session.hasChallenge).toBe(false);
    await sendWithDigest({ session, method: 'GET', uri: '/snap', send: cam.send, where });
    expect(cam.sent[2]).toBeUndefined();
  });

  it.each([
    ['no nonce', 'Digest realm="cam", qop="auth"', /without nonce/],
    ['an unknown algorithm', 'Digest realm="cam", nonce="n", algorithm=SHA-512-256', /algorithm "SHA-512-256"/],
    ['only auth-int', 'Digest realm="cam", nonce="n", qop="auth-int"', /auth-int is not supported/],
    ['a huge challenge', `Digest realm="cam", nonce="${'n'.repeat(10_000)}"`, /characters \(more than 4096\)/],
    ['Basic only', 'Basic realm="cam"', /no Digest challenge/],
    ['nothing', undefined, /no WWW-Authenticate challenge/],
  ])('a challenge with %s: no retry, E_ONVIF_AUTH naming why', async (_what, header, why) => {
    const session = new DigestSession('admin', 'pw');
    const cam = camera(answer(401, header));
    const refused = sendWithDigest({ session, method: 'GET', uri: '/snap', send: cam.send, where });
    await expect(refused).rejects.toMatchObject({ code: 'E_ONVIF_AUTH', message: expect.stringMatching(why) });
    await expect(refused).rejects.toThrow(/^cam-1 snapshot refused the credentials \(HTTP 401\); the camera sent /);
    expect(cam.sent).toEqual([undefined]);
  });

  it('without a session (WS-Security only) a 401 is refused at once; other statuses are the caller’s', async () => {
    const cam = camera(answer(401, GOOD), answer(500), answer(200));
    await expect(sendWithDigest({ session: undefined, method: 'POST', uri: '/x', send: cam.send, where: 'cam-2' })).rejects.toMatchObject({
      code: 'E_ONVIF_AUTH',
    });
    expect((await sendWithDigest({ session: undefined, method: 'POST', uri: '/x', send: cam.send, where: 'cam-2' })).status).toBe(500);
    expect(cam.sent).toEqual([undefined, undefined]);
  });
});
