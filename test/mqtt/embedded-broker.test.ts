import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttDriver } from '../../drivers/mqtt/mqtt-driver.js';
import { ManualClock } from '../../gateway/core/clock.js';
import { CapturingContext, closed, connectClient, deviceFromProfile, readTestSecret, samplesOf, testCertificate, waitFor } from './helpers.js';

const T0 = Date.UTC(2026, 10, 27, 1, 0, 0);
const embedded = { mode: 'embedded' as const, host: '127.0.0.1', port: 0 };
const envDevice = (id: string, env = 'PW_A', extra: Record<string, unknown> = {}) =>
  deviceFromProfile('mqtt-env-json', { id, connection: embedded, auth: { password: { env } }, ...extra });

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startDriver(clock = new ManualClock(T0)) {
  const ctx = new CapturingContext(clock);
  const driver = new MqttDriver({ readSecret: readTestSecret, sweepMs: 10, monotonic: clock ? () => clock.now() : undefined });
  await driver.start(ctx);
  cleanups.push(() => driver.stop(AbortSignal.timeout(5000)));
  return { ctx, driver, clock };
}

async function client(url: string, username: string | undefined, password: string | undefined): Promise<MqttClient> {
  const c = await connectClient(url, { username, password, clientId: `t-${username ?? 'anon'}-${Math.random().toString(36).slice(2, 8)}` });
  cleanups.push(() => c.endAsync(true));
  return c;
}

const good = (extra: Record<string, unknown> = {}) => JSON.stringify({ temperature: 21.5, humidity: 40, pm25: 8, noise: 50, ...extra });

describe('the embedded broker', () => {
  it('admits a sensor with its password, refuses a wrong one, anonymous and unknown users', async () => {
    const { ctx, driver } = await startDriver();
    await driver.addDevice(await envDevice('env-07'));
    const { port } = await driver.brokerAddress('env-07');
    const url = `mqtt://127.0.0.1:${port}`;

    const sensor = await client(url, 'env-07', 'correct horse battery');
    await sensor.publishAsync('sensors/env-07/data', good(), { qos: 1 });
    await ctx.until(() => samplesOf(ctx, 'env-07', 'temperature').length === 1);

    await expect(connectClient(url, { username: 'env-07', password: 'wrong' })).rejects.toMatchObject({ code: 4 });
    await expect(connectClient(url, {})).rejects.toMatchObject({ code: 5 });
    await expect(connectClient(url, { username: 'nobody', password: 'x' })).rejects.toMatchObject({ code: 4 });
    expect(driver.stats('env-07').rejected.authFailed).toBe(1);
    expect((await driver.brokerAddress('env-07')).stats).toMatchObject({ anonymousRefused: 1, unknownUserRefused: 1 });
    // Passwords never reach the log.
    expect(JSON.stringify(ctx.lines)).not.toMatch(/correct horse|wrong"/);
  });

  it('reads a password from a file reference by default', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gg-mqtt-'));
    writeFileSync(join(dir, 'env-09.pass'), 's3cret-from-file\n');
    const ctx = new CapturingContext();
    const driver = new MqttDriver({ sweepMs: 10 });
    await driver.start(ctx);
    cleanups.push(() => driver.stop(AbortSignal.timeout(5000)));
    await driver.addDevice(
      await deviceFromProfile('mqtt-env-json', { id: 'env-09', connection: embedded, auth: { password: { file: join(dir, 'env-09.pass') } } }),
    );
    const { port } = await driver.brokerAddress('env-09');
    await client(`mqtt://127.0.0.1:${port}`, 'env-09', 's3cret-from-file');
  });

  it('lets a sensor publish only under its own topics and subscribe only where allowed', async () => {
    const { ctx, driver } = await startDriver();
    await driver.addDevice(await envDevice('env-07', 'PW_A', { acl: { subscribe: ['config/{device}/#'] } }));
    await driver.addDevice(await envDevice('env-08', 'PW_B'));
    const { port } = await driver.brokerAddress('env-07');
    const url = `mqtt://127.0.0.1:${port}`;
    const a = await client(url, 'env-07', 'correct horse battery');
    const b = await client(url, 'env-08', 'staple-9');

    // SUBACK 0x80 for a refused filter (mqtt.js turns it into an error), granted for an allowed one.
    expect((await a.subscribeAsync('config/env-07/set')).map((g) => g.qos)).toEqual([0]);
    await expect(a.subscribeAsync('#')).rejects.toThrow(/Subscribe error/);
    await expect(a.subscribeAsync('sensors/env-08/data')).rejects.toThrow(/Subscribe error/);
    expect(driver.stats('env-07').rejected.aclDenied).toBe(2);

    const gone = closed(a);
    a.publish('sensors/env-08/data', good({ temperature: 99 }));
    await gone;
    expect(driver.stats('env-07').rejected.aclDenied).toBe(3);
    // Rate-limited: one line for the device this minute, though it was refused three times.
    expect(ctx.logged('sensor refused', { device: 'env-07' })).toHaveLength(1);

    // env-08 is not affected and nothing was taken for it from env-07.
    await b.publishAsync('sensors/env-08/data', good({ temperature: 18 }), { qos: 1 });
    await ctx.until(() => samplesOf(ctx, 'env-08', 'temperature').length === 1);
    expect(samplesOf(ctx, 'env-08', 'temperature').map((s) => s.raw)).toEqual([18]);
  });

  it('rejects every malformed kind, counts it per device, logs once a minute, and goes on', async () => {
    const { ctx, driver, clock } = await startDriver();
    await driver.addDevice(await envDevice('env-07', 'PW_A', { maxPayloadBytes: 1024, acl: { publish: ['sensors/{device}/status'] } }));
    await driver.addDevice(await envDevice('env-08', 'PW_B'));
    const { port } = await driver.brokerAddress('env-07');
    const url = `mqtt://127.0.0.1:${port}`;
    const a = await client(url, 'env-07', 'correct horse battery');
    const b = await client(url, 'env-08', 'staple-9');
    const t = 'sensors/env-07/data';

    await a.publishAsync(t, 'temperature=21.4;humidity=45', { qos: 1 });
    await a.publishAsync(t, '42', { qos: 1 });
    await a.publishAsync(t, good({ padding: 'x'.repeat(2000) }), { qos: 1 });
    await a.publishAsync('sensors/env-07/status', '{"up":true}', { qos: 1 });
    await a.publishAsync(t, JSON.stringify({ temperature: 20, humidity: 40, pm25: 8 }), { qos: 1 }); // noise missing
    await a.publishAsync(t, good({ pm25: 'n/a' }), { qos: 1 });
    await b.publishAsync('sensors/env-08/data', good(), { qos: 1 });
    await a.publishAsync(t, good({ temperature: 22.5 }), { qos: 1 });
    await ctx.until(() => samplesOf(ctx, 'env-07', 'temperature').some((s) => s.raw === 22.5));

    expect(driver.stats('env-07')).toMatchObject({
      messages: 7,
      rejected: { notJson: 1, notObject: 1, oversized: 1, unknownTopic: 1, missingPath: 1, wrongType: 1 },
    });
    expect(driver.stats('env-08').rejected).toMatchObject({ notJson: 0, wrongType: 0 });
    expect(samplesOf(ctx, 'env-08', 'temperature').map((s) => s.quality ?? 'good')).toEqual(['good']);
    expect(samplesOf(ctx, 'env-07', 'pm25').at(-2)).toMatchObject({ quality: 'bad', error: 'payload on sensors/env-07/data: $.pm25 is "n/a", not a number' });

    // One warning per kind of problem for the device this minute (a flood of one kind hides no other kind).
    const warned = () => ctx.lines.filter((l) => l.device === 'env-07' && l.level === 40);
    expect(warned().map((l) => l.kind)).toEqual(['notJson', 'notObject', 'oversized', 'unknownTopic', 'badPoint']);
    expect(warned()[0]).toMatchObject({ msg: 'message rejected', kind: 'notJson', code: 'E_MQTT_PAYLOAD' });
    expect(String(warned()[0]!.problem)).toMatch(/^payload on sensors\/env-07\/data is not JSON .*: temperature=21\.4;humidity=45$/);

    await a.publishAsync(t, '{"broken"', { qos: 1 }); // held back: notJson was logged this minute
    await a.publishAsync(t, '{"temperature": 1, "temperature": 2}', { qos: 1 }); // another kind: logged
    await waitFor(() => warned().length === 6, 'the duplicate-key line');
    expect(warned()[5]).toMatchObject({ kind: 'duplicateKey', problem: expect.stringContaining('member "temperature" appears twice') });
    clock.advance(61_000);
    await a.publishAsync(t, '{"broken"', { qos: 1 });
    await waitFor(() => warned().length === 7, 'the next notJson line');
    // The next line of the same kind says how many of that kind were held back.
    expect(warned()[6]).toMatchObject({ kind: 'notJson', suppressed: 1 });
    expect(driver.stats('env-07').rejected).toMatchObject({ notJson: 3, duplicateKey: 1 });
  });

  it('marks a device offline after offlineAfterMs without a message, online at the next one', async () => {
    const { ctx, driver, clock } = await startDriver();
    await driver.addDevice(await envDevice('env-07'));
    const { port } = await driver.brokerAddress('env-07');
    const a = await client(`mqtt://127.0.0.1:${port}`, 'env-07', 'correct horse battery');
    await a.publishAsync('sensors/env-07/data', good(), { qos: 1 });
    await ctx.until(() => ctx.lastStatus('env-07')?.status === 'online');

    clock.advance(119_000);
    await new Promise((r) => setTimeout(r, 50)); // several sweeps: still online
    expect(ctx.lastStatus('env-07')?.status).toBe('online');
    clock.advance(1_000);
    await ctx.until(() => ctx.lastStatus('env-07')?.status === 'offline');
    expect(ctx.lastStatus('env-07')).toEqual({ device: 'env-07', status: 'offline', error: 'no message for 120 s' });
    expect(driver.stats('env-07').online).toBe(false);

    await a.publishAsync('sensors/env-07/data', good(), { qos: 1 });
    await ctx.until(() => ctx.lastStatus('env-07')?.status === 'online');
  });

  it('answers read() with the last value seen', async () => {
    const { ctx, driver } = await startDriver();
    await driver.addDevice(await envDevice('env-07'));
    await expect(driver.read('env-07', 'pm25')).rejects.toMatchObject({ code: 'E_MQTT_NO_VALUE' });
    await expect(driver.read('env-07', 'co2')).rejects.toMatchObject({ code: 'E_MQTT_UNKNOWN_POINT' });
    await expect(driver.read('env-99', 'pm25')).rejects.toMatchObject({ code: 'E_MQTT_UNKNOWN_DEVICE' });
    const { port } = await driver.brokerAddress('env-07');
    const a = await client(`mqtt://127.0.0.1:${port}`, 'env-07', 'correct horse battery');
    await a.publishAsync('sensors/env-07/data', good({ pm25: 17.5, ts: T0 - 1000 }), { qos: 1 });
    await ctx.until(() => samplesOf(ctx, 'env-07', 'pm25').length === 1);
    expect(await driver.read('env-07', 'pm25')).toEqual({ device: 'env-07', point: 'pm25', ts: T0 - 1000, raw: 17.5 });
    await a.publishAsync('sensors/env-07/data', 'garbage', { qos: 1 });
    await waitFor(() => driver.lastMessage('env-07')?.preview === 'garbage', 'the last message');
    expect(driver.lastMessage('env-07')).toEqual({ topic: 'sensors/env-07/data', at: T0, bytes: 7, preview: 'garbage' });
    expect(await driver.read('env-07', 'pm25')).toMatchObject({ raw: 17.5 }); // a rejected message leaves the last value
  });

  it('shares one broker between devices, refuses a username used twice and a port in use', async () => {
    const { driver } = await startDriver();
    await Promise.all([driver.addDevice(await envDevice('env-07')), driver.addDevice(await envDevice('env-08', 'PW_B'))]);
    expect((await driver.brokerAddress('env-07')).port).toBe((await driver.brokerAddress('env-08')).port);
    await expect(driver.addDevice(await envDevice('env-10', 'PW_B', { auth: { username: 'env-08', password: { env: 'PW_B' } } }))).rejects.toMatchObject({
      code: 'E_MQTT_CONFIG',
      message: 'env-10: username "env-08" is already used by device env-08 on 127.0.0.1:0',
    });

    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise((r) => busy.close(r)));
    const taken = (busy.address() as { port: number }).port;
    await expect(
      driver.addDevice(await envDevice('env-11', 'PW_A', { connection: { mode: 'embedded', host: '127.0.0.1', port: taken } })),
    ).rejects.toMatchObject({
      code: 'E_MQTT_LISTEN',
      message: `the embedded MQTT broker cannot listen on 127.0.0.1:${taken} (EADDRINUSE)`,
    });
  });

  it('disconnects the sensors of a removed device and closes the broker with the last one', async () => {
    const { driver } = await startDriver();
    await driver.addDevice(await envDevice('env-07'));
    const { port } = await driver.brokerAddress('env-07');
    const a = await client(`mqtt://127.0.0.1:${port}`, 'env-07', 'correct horse battery');
    const gone = closed(a);
    await driver.removeDevice('env-07');
    await gone;
    await expect(connectClient(`mqtt://127.0.0.1:${port}`, { username: 'env-07', password: 'correct horse battery', connectTimeout: 1000 })).rejects.toThrow();
  });

  it('speaks MQTT over TLS when given a certificate, and refuses plain TCP there', async () => {
    const pems = await testCertificate();
    const { ctx, driver } = await startDriver();
    const tlsConnection = { mode: 'embedded' as const, host: '127.0.0.1', port: 0, tls: { cert: pems.certFile, key: pems.keyFile } };
    await driver.addDevice(await envDevice('env-07', 'PW_A', { connection: tlsConnection }));
    const { port } = await driver.brokerAddress('env-07');
    const sensor = await connectClient(`mqtts://127.0.0.1:${port}`, { username: 'env-07', password: 'correct horse battery', ca: pems.cert });
    cleanups.push(() => sensor.endAsync(true));
    await sensor.publishAsync('sensors/env-07/data', good({ temperature: 12.5 }), { qos: 1 });
    await ctx.until(() => samplesOf(ctx, 'env-07', 'temperature').length === 1);
    expect(ctx.lastStatus('env-07')?.status).toBe('online');
    // Plain MQTT on the TLS port: the handshake fails, the connection closes without a CONNACK.
    const plain = mqtt.connect(`mqtt://127.0.0.1:${port}`, { username: 'env-07', password: 'correct horse battery', reconnectPeriod: 0, connectTimeout: 2000 });
    let connected = false;
    plain.on('connect', () => {
      connected = true;
    });
    plain.on('error', () => undefined);
    await new Promise<void>((r) => plain.once('close', () => r()));
    plain.end(true);
    expect(connected).toBe(false);
    // Another device on the same host:port without tls cannot share this broker.
    await expect(driver.addDevice(await envDevice('env-08', 'PW_B'))).rejects.toMatchObject({
      code: 'E_MQTT_CONFIG',
      message: 'env-08: the embedded broker on 127.0.0.1:0 is already running with other tls settings; give all its devices the same connection',
    });
  });
});
