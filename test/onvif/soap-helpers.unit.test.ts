import { describe, expect, it } from 'vitest';
import { backoffDelay, SUBSCRIPTION_BACKOFF } from '../../drivers/onvif/backoff.js';
import { formatDuration, parseDuration, parseTermination } from '../../drivers/onvif/soap/duration.js';
import { digestResponse, parseDigestChallenge } from '../../drivers/onvif/soap/http-digest.js';
import { passwordDigest } from '../../drivers/onvif/soap/ws-username-token.js';
import { parseTopicFilter } from '../../drivers/onvif/events/topic-filter.js';
import { canonicalTopic } from '../../drivers/onvif/events/topic.js';
import { vendorType } from '../../drivers/onvif/events/normalizer.js';

describe('SOAP helpers', () => {
  it('computes the RFC 2617 §3.5 digest example', () => {
    expect(
      digestResponse({
        algorithm: 'MD5',
        username: 'Mufasa',
        realm: 'testrealm@host.com',
        password: 'Circle Of Life',
        method: 'GET',
        uri: '/dir/index.html',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        nc: '00000001',
        cnonce: '0a4f113b',
        qop: 'auth',
      }),
    ).toBe('6629fae49393a05397450978507c4ef1');
  });

  it('parses a Digest challenge with quoted commas and stale', () => {
    expect(parseDigestChallenge('Digest realm="a, b", qop="auth,auth-int", nonce="n1", stale=TRUE')).toEqual({
      realm: 'a, b',
      nonce: 'n1',
      qop: 'auth',
      opaque: undefined,
      algorithm: 'MD5',
      stale: true,
    });
    expect(parseDigestChallenge('Basic realm="x"')).toBeUndefined();
  });

  it('computes the UsernameToken digest as Base64(SHA-1(nonce + created + password))', () => {
    // Vector from the ONVIF Application Programmer's Guide §6.1.1.3.
    const nonce = Buffer.from('LKqI6G/AikKCQrN0zqZFlg==', 'base64');
    expect(passwordDigest(nonce, '2010-09-16T07:50:45Z', 'userpassword')).toBe('tuOSpGlFlIXsozq4HFNeeGeFLEI=');
  });

  it('parses xs:duration and termination times', () => {
    expect(parseDuration('PT60S')).toBe(60_000);
    expect(parseDuration('PT1M30.5S')).toBe(90_500);
    expect(parseDuration('P1DT1H')).toBe(90_000_000);
    expect(parseDuration('P1Y')).toBeUndefined();
    expect(formatDuration(1500)).toBe('PT1.500S');
    expect(parseTermination('PT10S', 1000)).toBe(11_000);
    expect(parseTermination('2026-01-01T00:00:00Z', 0)).toBe(Date.UTC(2026, 0, 1));
  });

  it('never backs off below the floor and caps with jitter', () => {
    expect(backoffDelay(SUBSCRIPTION_BACKOFF, 1, () => 0)).toBe(5000);
    expect(backoffDelay(SUBSCRIPTION_BACKOFF, 3, () => 0)).toBe(20_000);
    expect(backoffDelay(SUBSCRIPTION_BACKOFF, 50, () => 1)).toBe(390_000);
    expect(backoffDelay({ floorMs: 5000, capMs: 1000, jitter: 0 }, 1)).toBe(5000);
  });

  it('canonicalizes topics by namespace and matches ConcreteSet filters', () => {
    const ns = new Map([
      ['a', 'urn:onvif'],
      ['b', 'urn:vendor'],
    ]);
    expect(canonicalTopic('a:RuleEngine/Cell/Motion', (p) => ns.get(p))).toBe('{urn:onvif}RuleEngine/Cell/Motion');
    expect(canonicalTopic('a:RuleEngine/b:Mine', (p) => ns.get(p))).toBe('{urn:onvif}RuleEngine/{urn:vendor}Mine');
    expect(canonicalTopic('zz:Foo', (p) => ns.get(p))).toBeUndefined();
    const f = parseTopicFilter('a:RuleEngine//.|b:Only/This', (p) => ns.get(p))!;
    expect(f.matches('{urn:onvif}RuleEngine/Cell/Motion')).toBe(true);
    expect(f.matches('{urn:onvif}VideoSource/MotionAlarm')).toBe(false);
    expect(f.matches('{urn:vendor}Only/This')).toBe(true);
    expect(f.matches('{urn:vendor}Only/This/Deeper')).toBe(false);
  });

  it('names unknown topics vendor.<dotted lower-case>', () => {
    expect(vendorType('{urn:x}RuleEngine/HeatMap/Updated')).toBe('vendor.rule_engine.heat_map.updated');
    expect(vendorType('')).toBe('vendor.unknown');
  });
});
