import { mkdtempSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes } from 'aedes';
import { ManualClock } from '../../gateway/core/clock.js';
import { freePort } from '../helpers/mosquitto.js';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttDriver } from '../../drivers/mqtt/mqtt-driver.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { mosquittoPub } from './mosquitto-pub.js';
import { CapturingContext, connectClient, deviceFromProfile, readTestSecret, samplesOf, testCertificate, waitFor } from './helpers.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A site broker (aedes) that wants username `gateway` for subscribers; over TLS with `tls`. */
async function siteBroker(tls?: { key: string; cert: string }): Promise<{ url: string; stop: () => Promise<void> }> {
  const broker = await Aedes.createBroker();
  broker.authenticate = (_client, username, password, done) => {
    const ok = username === undefined || (username === 'gateway' && password?.toString() === 'gateway-pass');
    done(ok ? null : Object.assign(new Error('bad login'), { returnCode: 4 as const }), ok);
  };
  const sockets = new Set<Socket>();
  const server = tls ? createTlsServer(tls, broker.handle) : createServer(broker.handle);
  server.on(tls ? 'secureConnection' : 'connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return {
    url: `${tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => broker.close(() => r()));
    },
  };
}

async function startDriver(clock?: ManualClock) {
  const ctx = new CapturingContext(clock);
  const driver = new MqttDriver({ readSecret: readTestSecret, sweepMs: 10, monotonic: clock ? () => clock.now() : undefined });
  await driver.start(ctx);
  cleanups.push(() => driver.stop(AbortSignal.timeout(5000)));
  return { ctx, driver };
}

describe('client mode: subscribing to a site broker', () => {
  it('logs in with a password reference, subscribes to each device topic and maps the messages', async () => {
    const site = await siteBroker();
    cleanups.push(site.stop);
    const { ctx, driver } = await startDriver();
    const connection = { mode: 'client' as const, url: site.url, username: 'gateway', password: { env: 'SITE_PW' } };
    await driver.addDevice(await deviceFromProfile('mqtt-irisys-counter', { id: 'pc-ir', connection }));
    await driver.addDevice(await deviceFromProfile('mqtt-env-json', { id: 'env-07', connection }));
    await waitFor(() => ctx.lines.some((l) => l.msg === 'connected to the site broker'), 'the site broker connection');

    const sensor = await connectClient(site.url);
    cleanups.push(() => sensor.endAsync(true));
    // Subscriptions are in place once the gateway's SUBACK came back: publish until one lands.
    const payload = JSON.stringify({ timestamp: 1_764_205_300, counts: [{ line: 1, in: 10, out: 4 }] });
    while (samplesOf(ctx, 'pc-ir', 'in').length === 0) {
      await sensor.publishAsync('irisys/pc-ir/counts', payload, { qos: 1 });
      await new Promise((r) => setTimeout(r, 20));
    }
    await sensor.publishAsync('irisys/pc-ir/counts', JSON.stringify({ timestamp: 1_764_205_301, counts: [{ line: 1, in: 13, out: 4 }] }), { qos: 1 });
    await sensor.publishAsync('sensors/env-07/data', JSON.stringify({ temperature: 19.5, humidity: 50, pm25: 3, noise: 40 }), { qos: 1 });
    await sensor.publishAsync('sensors/env-99/data', JSON.stringify({ temperature: 99 }), { qos: 1 }); // no such device: not subscribed
    await ctx.until(() => samplesOf(ctx, 'env-07', 'temperature').length === 1 && samplesOf(ctx, 'pc-ir', 'in-delta').length >= 1);
    expect(samplesOf(ctx, 'pc-ir', 'in').at(-1)!.raw).toBe(13);
    expect(samplesOf(ctx, 'pc-ir', 'in-delta').at(-1)!.raw).toBe(3);
    expect(ctx.recorded.samples.some((s) => s.device === 'env-99')).toBe(false);
    expect(ctx.lastStatus('env-07')?.status).toBe('online');
  });

  it('keeps retrying a site broker that refuses the login, and says why once', async () => {
    const site = await siteBroker();
    cleanups.push(site.stop);
    const { ctx, driver } = await startDriver();
    await driver.addDevice(
      await deviceFromProfile('mqtt-env-json', { id: 'env-07', connection: { mode: 'client', url: site.url, username: 'gateway', password: { env: 'PW_A' } } }),
    );
    await waitFor(() => ctx.lines.some((l) => l.msg === 'site broker connection failed'), 'the login refusal');
    const failed = ctx.lines.find((l) => l.msg === 'site broker connection failed')!;
    expect(failed).toMatchObject({ code: 'E_MQTT_CONNECTION' });
    expect(String(failed.problem)).toMatch(/Bad username or password/);
    expect(JSON.stringify(ctx.lines)).not.toContain('correct horse');
  });

  it('works against Debian Mosquitto (interop)', async () => {
    const mosquitto = await startMosquitto(mkdtempSync(join(tmpdir(), 'gg-mosq-')));
    cleanups.push(mosquitto.stop);
    // The gateway's clock just after the payloads' times (device times are checked against it).
    const { ctx, driver } = await startDriver(new ManualClock(Date.UTC(2026, 10, 27, 1, 0, 10)));
    await driver.addDevice(await deviceFromProfile('mqtt-xovis-live', { id: 'pc-x1', topicId: '80-1F', connection: { mode: 'client', url: mosquitto.url } }));
    await waitFor(() => ctx.lines.some((l) => l.msg === 'connected to the site broker'), 'the site broker connection');
    const sensor = await connectClient(mosquitto.url);
    cleanups.push(() => sensor.endAsync(true));
    const live = (fw: number, second: number) =>
      JSON.stringify({
        time: `2026-11-27T01:00:0${second}Z`,
        live_counts: [
          {
            line_id: 0,
            counts: [
              { name: 'fw', value: fw },
              { name: 'bw', value: 0 },
            ],
          },
        ],
      });
    let second = 0;
    while (samplesOf(ctx, 'pc-x1', 'in').length === 0) {
      await sensor.publishAsync('xovis/80-1F/live', live(100, second), { qos: 1 });
      await new Promise((r) => setTimeout(r, 20));
    }
    second = 5;
    await sensor.publishAsync('xovis/80-1F/live', live(104, second), { qos: 1 });
    await ctx.until(() => samplesOf(ctx, 'pc-x1', 'in').at(-1)?.raw === 104);
    expect(samplesOf(ctx, 'pc-x1', 'in-delta').at(-1)!.raw).toBe(4);
    expect(samplesOf(ctx, 'pc-x1', 'in').at(-1)!.ts).toBe(Date.UTC(2026, 10, 27, 1, 0, 5));
  });

  it('connects over mqtts:// to a broker with a private CA', async () => {
    const pems = await testCertificate();
    const site = await siteBroker({ key: pems.key, cert: pems.cert });
    cleanups.push(site.stop);
    const ca = pems.certFile;
    const { ctx, driver } = await startDriver();
    await driver.addDevice(
      await deviceFromProfile('mqtt-env-json', {
        id: 'env-07',
        connection: { mode: 'client', url: site.url, username: 'gateway', password: { env: 'SITE_PW' }, ca },
      }),
    );
    await waitFor(() => ctx.lines.some((l) => l.msg === 'connected to the site broker'), 'the TLS connection');
    const sensor = await connectClient(site.url, { ca: pems.cert });
    cleanups.push(() => sensor.endAsync(true));
    while (samplesOf(ctx, 'env-07', 'temperature').length === 0) {
      await sensor.publishAsync('sensors/env-07/data', JSON.stringify({ temperature: 5, humidity: 80, pm25: 3, noise: 40 }), { qos: 1 });
      await new Promise((r) => setTimeout(r, 20));
    }
    await expect(
      driver.addDevice(await deviceFromProfile('mqtt-env-json', { id: 'env-08', connection: { mode: 'client', url: site.url, ca: '/nonexistent/ca.pem' } })),
    ).rejects.toMatchObject({
      code: 'E_MQTT_CONFIG',
      message: `the CA file /nonexistent/ca.pem for ${site.url} cannot be read (ENOENT)`,
    });
  });

  it('says in the offline reason that the site broker is unreachable', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 27, 1, 0, 0));
    const { ctx, driver } = await startDriver(clock);
    const port = await freePort();
    await driver.addDevice(await deviceFromProfile('mqtt-env-json', { id: 'env-07', connection: { mode: 'client', url: `mqtt://127.0.0.1:${port}` } }));
    await waitFor(() => ctx.lines.some((l) => l.msg === 'site broker connection failed'), 'the connection failure');
    clock.advance(120_000);
    await ctx.until(() => ctx.lastStatus('env-07')?.error?.startsWith('no message for 120 s') ?? false);
    expect(ctx.lastStatus('env-07')?.error).toBe(
      `no message for 120 s (site broker mqtt://127.0.0.1:${port} unreachable: connect ECONNREFUSED 127.0.0.1:${port})`,
    );
  });

  it('takes a retained message only when it carries a device time, and not as a sign of life', async () => {
    const site = await siteBroker();
    cleanups.push(site.stop);
    const sensor = await connectClient(site.url);
    cleanups.push(() => sensor.endAsync(true));
    await sensor.publishAsync('sensors/env-07/data', JSON.stringify({ temperature: 30, humidity: 50, pm25: 1, noise: 40 }), { qos: 1, retain: true });
    const deviceTime = Math.floor(Date.now() / 1000) - 60;
    await sensor.publishAsync('irisys/pc-ir/counts', JSON.stringify({ timestamp: deviceTime, counts: [{ line: 1, in: 10, out: 4 }] }), {
      qos: 1,
      retain: true,
    });
    const { ctx, driver } = await startDriver();
    const connection = { mode: 'client' as const, url: site.url };
    await driver.addDevice(await deviceFromProfile('mqtt-env-json', { id: 'env-07', connection }));
    await driver.addDevice(await deviceFromProfile('mqtt-irisys-counter', { id: 'pc-ir', connection }));
    await ctx.until(() => samplesOf(ctx, 'pc-ir', 'in').length === 1);
    await waitFor(() => driver.stats('env-07').messages === 1, 'the retained env message');
    expect(samplesOf(ctx, 'pc-ir', 'in')[0]).toMatchObject({ raw: 10, ts: deviceTime * 1000 });
    expect(samplesOf(ctx, 'env-07')).toEqual([]);
    expect(ctx.lastStatus('pc-ir')?.status).toBe('offline');
  });
});

describe('client mode: hostile payloads through Debian Mosquitto, published with mosquitto_pub', () => {
  it('refuses duplicate keys, takes a 2099 time as untrusted without poisoning the order guard, and does not count a jump', async () => {
    const mosquitto = await startMosquitto(mkdtempSync(join(tmpdir(), 'gg-mosq-')));
    cleanups.push(mosquitto.stop);
    const { ctx, driver } = await startDriver();
    await driver.addDevice(await deviceFromProfile('mqtt-axis-people-counter', { id: 'pc-a', connection: { mode: 'client', url: mosquitto.url } }));
    await waitFor(() => ctx.lines.some((l) => l.msg === 'connected to the site broker'), 'the site broker connection');
    const port = Number(new URL(mosquitto.url).port);
    const base = Date.now() - 30_000;
    const pub = (message: string) => mosquittoPub({ port, username: 'sensor', password: 'unused', topic: 'axis/pc-a/people-counter', message });
    const at = (s: number) => new Date(base + s * 1000).toISOString();

    // The subscription may still be on its way: send the baseline until it arrives.
    for (let i = 0; samplesOf(ctx, 'pc-a', 'in').length === 0; i++) {
      await pub(JSON.stringify({ timestamp: at(0), in: 500, out: 400 }));
      await new Promise((r) => setTimeout(r, 50 * Math.min(i + 1, 10)));
    }
    await pub(`{"timestamp": "${at(1)}", "in": 501, "in": 99999999, "out": 400}`);
    await pub(JSON.stringify({ timestamp: '2099-01-01T00:00:00Z', in: 503, out: 401 }));
    await pub(JSON.stringify({ timestamp: at(3), in: 99_999_999, out: 401 }));
    await pub(JSON.stringify({ timestamp: at(4), in: 505, out: 402 }));
    await ctx.until(() => samplesOf(ctx, 'pc-a', 'in').length === 4, 10_000, 'four readings of in');

    const ins = samplesOf(ctx, 'pc-a', 'in');
    expect(ins.map((s) => [s.raw, s.quality ?? 'good'])).toEqual([
      [500, 'good'],
      [503, 'uncertain'], // 2099: the receive time, uncertain
      [503, 'uncertain'], // the jump: not counted
      [505, 'good'], // the real time after 2099 is not out of order
    ]);
    expect(ins[1]!.error).toMatch(/device time 2099-01-01T00:00:00.000Z at \$.timestamp is \d+ years ahead/);
    expect(Math.abs(ins[1]!.ts - Date.now())).toBeLessThan(30_000);
    expect(ins[3]!.ts).toBe(base + 4000);
    expect(driver.stats('pc-a').rejected).toMatchObject({ duplicateKey: 1, untrustedTime: 1, implausible: 1, outOfOrder: 0 });
    expect(ctx.recorded.events).toMatchObject([
      { device: 'pc-a', type: 'vendor.counter.implausible', point: 'in', data: { raw: 99_999_999, last: 503, allowed: expect.any(Number) } },
    ]);
    expect(ctx.rejections).toEqual([
      ['pc-a', 'duplicate-key'],
      ['pc-a', 'stale-time'],
      ['pc-a', 'implausible'],
    ]);
  });
});
