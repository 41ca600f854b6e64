import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnvelope } from '../../drivers/onvif/soap/envelope.js';
import { parseXml } from '../../drivers/onvif/xml/safe-xml.js';
import { malformedBody } from '../../simulators/onvif/sim-faults.js';
import { ClockOffset } from '../../drivers/onvif/device/clock-offset.js';
import { SoapClient } from '../../drivers/onvif/transport/soap-client.js';
import { systemClock } from '../../gateway/core/clock.js';

const SOAP = 'http://www.w3.org/2003/05/soap-envelope';

describe('safe XML parser', () => {
  it('resolves namespaces, not prefixes, for elements and attributes', () => {
    const doc = parseXml(
      `<e:Envelope xmlns:e="${SOAP}"><e:Body><Foo xmlns="urn:x" xmlns:p="urn:p" p:a="1" b="2">t &amp; &#x41;</Foo></e:Body></e:Envelope>`,
      'test',
    );
    const foo = doc.children[0]!.children[0]!;
    expect([doc.ns, doc.local]).toEqual([SOAP, 'Envelope']);
    expect([foo.ns, foo.local, foo.text]).toEqual(['urn:x', 'Foo', 't & A']);
    expect(foo.attrs).toEqual([
      { ns: 'urn:p', local: 'a', value: '1' },
      { ns: '', local: 'b', value: '2' },
    ]);
  });

  it('refuses an external entity (XXE) without reading anything', () => {
    expect(() => parseXml(malformedBody('xxe'), 'cam')).toThrow(/DOCTYPE or ENTITY/);
  });

  it('refuses billion laughs, and 2,000 attempts leave the heap flat', () => {
    const bomb = malformedBody('billion-laughs');
    expect(() => parseXml(bomb, 'cam')).toThrow(expect.objectContaining({ code: 'E_ONVIF_XML' }));
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 2000; i++) {
      try {
        parseXml(bomb, 'cam');
      } catch {
        // expected
      }
    }
    globalThis.gc?.();
    // Expanded, lol9 is 10^9 "lol"s (~3 GB); refused, the loop allocates only its error objects.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(32 * 1024 * 1024);
  });

  it('leaves undeclared entities as text and never expands them', () => {
    expect(parseXml('<a>&foo;</a>', 'cam').text).toBe('&foo;');
  });

  it('rejects oversized, truncated, garbage and undeclared-prefix answers with E_ONVIF_XML', () => {
    for (const bad of [malformedBody('truncated'), malformedBody('garbage'), '<x:a/>', '<a></b>']) {
      expect(() => parseXml(bad, 'cam')).toThrow(expect.objectContaining({ code: 'E_ONVIF_XML' }));
    }
    expect(() => parseXml(malformedBody('oversized'), 'cam')).toThrow(/over the .*-byte cap/);
  });

  it('reads a fault code and subcode by namespace', () => {
    const doc = parseXml(
      `<a:Envelope xmlns:a="${SOAP}" xmlns:q="http://www.onvif.org/ver10/error"><a:Body><a:Fault><a:Code><a:Value>a:Sender</a:Value><a:Subcode><a:Value>q:NotAuthorized</a:Value></a:Subcode></a:Code><a:Reason><a:Text>no</a:Text></a:Reason></a:Fault></a:Body></a:Envelope>`,
      'cam',
    );
    expect(readEnvelope(doc, 'cam').fault).toEqual({
      code: 'Sender',
      subcodes: [{ ns: 'http://www.onvif.org/ver10/error', local: 'NotAuthorized' }],
      reason: 'no',
    });
  });
});

describe('SOAP client size cap over HTTP', () => {
  let server: http.Server;
  let url: URL;
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/soap+xml' });
      // Streamed without content-length: the client must cut it off while reading.
      const chunk = 'A'.repeat(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 200 && res.write(chunk)) sent++;
        if (sent < 200) res.once('drain', pump);
        else res.end();
      };
      pump();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/onvif/device_service`);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('fails a 12 MB answer with E_ONVIF_TOO_LARGE at the 1 MB cap', async () => {
    const agent = new http.Agent();
    const client = new SoapClient({
      where: 'big-cam',
      username: 'u',
      password: 'p',
      auth: 'auto',
      timeoutMs: 10_000,
      maxBytes: 1024 * 1024,
      clock: new ClockOffset(systemClock),
      agent,
    });
    await expect(client.call(url, '<tds:GetDeviceInformation/>')).rejects.toMatchObject({ code: 'E_ONVIF_TOO_LARGE' });
    agent.destroy();
  });
});
