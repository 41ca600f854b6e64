import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttDriver } from '../../drivers/mqtt/mqtt-driver.js';
import { PacketSizeScanner } from '../../drivers/mqtt/packet-size-guard.js';
import { CapturingContext, closed, connectClient, deviceFromProfile, readTestSecret } from './helpers.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Scans chunks; the bytes before the refusal, and the refusal, if any. */
function feed(cap: number, chunks: Buffer[]): { passed: number; error?: string; tooLarge?: number } {
  const scanner = new PacketSizeScanner(() => cap);
  let passed = 0;
  for (const c of chunks) {
    const refused = scanner.scan(c);
    if (refused) return { passed, error: refused.reason, tooLarge: refused.declared };
    passed += c.length;
  }
  return { passed };
}

describe('the packet size guard', () => {
  // PUBLISH QoS 0, topic "a", payload of n bytes: remaining length 3 + n.
  const publish = (n: number) => {
    const len = 3 + n;
    const header = len < 128 ? [0x30, len] : [0x30, (len % 128) | 0x80, Math.floor(len / 128)];
    return Buffer.concat([Buffer.from([...header, 0, 1, 0x61]), Buffer.alloc(n, 0x7a)]);
  };

  it('passes packets under the cap unchanged, whatever the chunking', async () => {
    const stream = Buffer.concat([publish(10), Buffer.from([0xc0, 0]), publish(200), publish(0)]);
    const split = [stream.subarray(0, 1), stream.subarray(1, 2), stream.subarray(2, 15), stream.subarray(15, 18), stream.subarray(18)];
    expect(feed(1000, split)).toEqual({ passed: stream.length });
  });

  it('stops at the header of a packet over the cap, before its body', async () => {
    const r = feed(100, [publish(10), publish(200).subarray(0, 3)]);
    expect(r).toMatchObject({ tooLarge: 203, error: 'packet of 203 bytes over the limit of 100' });
    expect(r.passed).toBe(publish(10).length);
    expect(feed(100, [Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])]).error).toMatch(/malformed remaining length/);
  });

  it('closes a connection that declares a huge packet, before login', async () => {
    const ctx = new CapturingContext();
    const driver = new MqttDriver({ readSecret: readTestSecret, sweepMs: 10 });
    await driver.start(ctx);
    cleanups.push(() => driver.stop(AbortSignal.timeout(5000)));
    await driver.addDevice(
      await deviceFromProfile('mqtt-env-json', {
        id: 'env-07',
        connection: { mode: 'embedded', host: '127.0.0.1', port: 0 },
        auth: { password: { env: 'PW_A' } },
      }),
    );
    const { port } = await driver.brokerAddress('env-07');

    // A CONNECT declaring 200 MB (remaining length 0x80 0x80 0xaf 0x5f): closed at once.
    const s = connect(port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    const gone = new Promise((r) => s.once('close', r));
    s.write(Buffer.from([0x10, 0x80, 0x80, 0xaf, 0x5f, 0, 4]));
    await gone;
    expect((await driver.brokerAddress('env-07')).stats.oversizedPackets).toBe(1);

    // A logged-in sensor sending 1 MB: its connection is closed too.
    const sensor = await connectClient(`mqtt://127.0.0.1:${port}`, { username: 'env-07', password: 'correct horse battery' });
    cleanups.push(() => sensor.endAsync(true));
    const closing = closed(sensor);
    sensor.publish('sensors/env-07/data', Buffer.alloc(1_000_000, 0x20));
    await closing;
    expect((await driver.brokerAddress('env-07')).stats.oversizedPackets).toBe(2);
    expect(ctx.logged('connection refused')).toHaveLength(1); // rate-limited
  });
});
