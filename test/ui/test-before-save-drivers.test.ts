import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { SerialPort } from 'serialport';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RawSample } from '../../gateway/devices/driver.js';
import { type CameraSet, startCameraSet } from '../../simulators/onvif/camera-set.js';
import { openPtyPair, type PtyPair } from '../../simulators/modbus/pty-pair.js';
import { startModbusSimulator, type ModbusSimulator } from '../../simulators/modbus/simulator.js';
import { tempDir } from '../helpers/gateway-harness.js';
import { startUi, UiClient, type UiHarness } from './ui-harness.js';

/**
 * Test before save goes through the running driver (Driver.testDevice, reached through the
 * device manager): a unit on an RTU line already polled is read through that line's request
 * queue (the port is not opened a second time: a second open of a pty fails with "Cannot lock
 * port"), and an MQTT sensor is heard on the embedded broker already running.
 */
describe('test before save through the running driver', () => {
  let pty: PtyPair;
  let sim: ModbusSimulator;
  let h: UiHarness;
  let admin: UiClient;
  const samples: RawSample[] = [];

  beforeAll(async () => {
    pty = await openPtyPair();
    sim = await startModbusSimulator({
      devices: [
        { id: 'env-7', model: 'env-sensor', unitId: 7, server: 'line', transport: 'rtu', path: pty.device },
        { id: 'wl-9', model: 'water-level', unitId: 9, server: 'line' },
      ],
    });
    h = await startUi({
      devices: [
        {
          id: 'env-7',
          name: 'Line sensor',
          kind: 'modbus',
          driver: 'modbus',
          profile: 'modbus-env-sensor',
          unitId: 7,
          connection: line(),
          intervalMs: 100,
          timeoutMs: 2000,
        },
        {
          id: 'env-m1',
          name: 'MQTT sensor',
          kind: 'mqtt',
          driver: 'mqtt',
          profile: 'mqtt-env-json',
          connection: { mode: 'embedded', host: '127.0.0.1', port: 0 },
          auth: { username: 'env-m1', password: { env: 'MQTT_M1_PW' } },
        },
      ],
      env: { MQTT_M1_PW: 'saved sensor pw 1' },
    });
    h.gateway().bus.on('samples', (batch) => samples.push(...batch));
    admin = new UiClient(h.url);
    await admin.post('/api/ui/setup', { code: h.setupCode(), user: 'admin', password: 'commissioning pw' });
  });
  afterAll(async () => {
    await h?.stop();
    await sim?.stop();
    await pty?.close();
  });

  function line() {
    return { transport: 'rtu', path: pty.gateway, baudRate: 115_200 };
  }
  const polls = () => samples.filter((s) => s.device === 'env-7' && s.quality !== 'bad').length;

  it('reads a unit on a busy RTU line through the line the polls use; the polls go on', async () => {
    await vi.waitFor(() => expect(polls()).toBeGreaterThan(5), { timeout: 20_000, interval: 100 });
    sim.device('wl-9').setValue('high-threshold', 4.321);
    const before = polls();
    const unit9 = {
      id: 'wl-9',
      name: 'Sump level',
      kind: 'modbus',
      driver: 'modbus',
      profile: 'modbus-water-level',
      unitId: 9,
      connection: line(),
      intervalMs: 100,
      timeoutMs: 2000,
    };
    // The wait for the device's first word is bounded (1 to 60 s).
    for (const waitMs of [999, 60_001, 'long'])
      expect((await admin.post('/api/ui/devices/test', { device: unit9, waitMs })).body.error?.problems?.[0]?.path).toBe('waitMs');
    const r = await admin.post('/api/ui/devices/test', { device: unit9, point: 'high-threshold' });
    expect(r.status).toBe(200);
    expect(JSON.stringify(r.body)).not.toMatch(/lock/i);
    expect(r.body.errors, JSON.stringify(r.body)).toEqual([]);
    expect(r.body.ok).toBe(true);
    expect(r.body.reading).toMatchObject({ point: 'high-threshold', value: 4.321, quality: 'good' });
    expect(r.body.status.status).toBe('online');
    // The saved unit kept being polled during and after the test, and stays online.
    await vi.waitFor(() => expect(polls()).toBeGreaterThan(before + 5), { timeout: 20_000, interval: 100 });
    const env7 = h
      .gateway()
      .status()
      .devices.find((d) => d.device === 'env-7');
    expect(env7?.status).toBe('online');
    // The test's unit is not a device of the gateway: nothing of it reached the pipeline.
    expect(samples.some((s) => s.device === 'wl-9')).toBe(false);
    // Several tests in a row share the line too (and leave it open for the polls).
    for (const v of [11, 12]) {
      sim.device('wl-9').setValue('high-threshold', v / 10);
      const again = await admin.post('/api/ui/devices/test', { device: unit9, point: 'high-threshold' });
      expect(again.body.reading?.value, JSON.stringify(again.body)).toBe(v / 10);
    }
    const after = polls();
    await vi.waitFor(() => expect(polls()).toBeGreaterThan(after + 3), { timeout: 20_000, interval: 100 });
  });

  it('opens a line no saved device uses for the test only, and lets go of it after', async () => {
    const pty2 = await openPtyPair();
    const sim2 = await startModbusSimulator({
      devices: [{ id: 'wl-3', model: 'water-level', unitId: 3, server: 'line2', transport: 'rtu', path: pty2.device }],
    });
    try {
      sim2.device('wl-3').setValue('high-threshold', 2.25);
      const unit3 = {
        id: 'wl-3',
        name: 'River gauge',
        kind: 'modbus',
        driver: 'modbus',
        profile: 'modbus-water-level',
        unitId: 3,
        connection: { transport: 'rtu', path: pty2.gateway, baudRate: 115_200 },
        timeoutMs: 2000,
      };
      const r = await admin.post('/api/ui/devices/test', { device: unit3, point: 'high-threshold' });
      expect(r.body.errors, JSON.stringify(r.body)).toEqual([]);
      expect(r.body.reading).toMatchObject({ point: 'high-threshold', value: 2.25 });
      // The port is free again: another program may lock it (it would fail with "Cannot lock port").
      const port = new SerialPort({ path: pty2.gateway, baudRate: 115_200, autoOpen: false });
      await new Promise<void>((ok, fail) => port.open((err) => (err ? fail(err) : ok())));
      await new Promise<void>((ok) => port.close(() => ok()));
    } finally {
      await sim2.stop();
      await pty2.close();
    }
  });

  it('hears an MQTT sensor on the embedded broker already running, with the password typed for the test', async () => {
    const meta = () =>
      h
        .gateway()
        .status()
        .devices.find((d) => d.device === 'env-m1')?.meta as { mqtt?: { broker?: string } } | undefined;
    await vi.waitFor(() => expect(meta()?.mqtt?.broker).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/), { timeout: 10_000 });
    const brokerUrl = meta()!.mqtt!.broker!;
    // A saved sensor is publishing on the running broker.
    const saved = await mqtt.connectAsync(brokerUrl, { username: 'env-m1', password: 'saved sensor pw 1', reconnectPeriod: 0 });
    const fresh: { client?: MqttClient } = {};
    try {
      const sensor = {
        id: 'env-m2',
        name: 'New sensor',
        kind: 'mqtt',
        driver: 'mqtt',
        profile: 'mqtt-env-json',
        connection: { mode: 'embedded', host: '127.0.0.1', port: 0 },
        auth: { username: 'env-m2', password: { $secret: 'typed sensor pw 2' } },
      };
      const pending = admin.post('/api/ui/devices/test', { device: sensor, point: 'temperature', waitMs: 30_000 });
      // The new sensor logs in to the running broker with the typed password (refused before the test starts).
      await vi.waitFor(
        async () => {
          fresh.client = await mqtt.connectAsync(brokerUrl, { username: 'env-m2', password: 'typed sensor pw 2', reconnectPeriod: 0, connectTimeout: 2000 });
        },
        { timeout: 10_000, interval: 100 },
      );
      // QoS 0: the test ends at the first message and closes the test's login, maybe before a PUBACK.
      await fresh.client!.publishAsync('sensors/env-m2/data', JSON.stringify({ ts: Date.now(), temperature: 23.5, humidity: 40, pm25: 5, noise: 50 }), {
        qos: 0,
      });
      const r = await pending;
      expect(r.body.errors, JSON.stringify(r.body)).toEqual([]);
      expect(r.body.reading).toMatchObject({ point: 'temperature', value: 23.5 });
      expect(r.body.status.status).toBe('online');
      // The test's account is gone with the test; the saved sensor's connection was untouched.
      await expect(
        mqtt.connectAsync(brokerUrl, { username: 'env-m2', password: 'typed sensor pw 2', reconnectPeriod: 0, connectTimeout: 2000 }),
      ).rejects.toThrow(/Bad username or password|Not authorized/i);
      expect(saved.connected).toBe(true);

      // Testing the saved sensor listens on the same broker to what it publishes (its own login stays).
      const pendingSaved = admin.post('/api/ui/devices/test', {
        device: { ...sensor, id: 'env-m1', auth: { username: 'env-m1', password: { env: 'MQTT_M1_PW' } } },
        point: 'humidity',
        waitMs: 30_000,
      });
      await vi.waitFor(
        async () => {
          await saved.publishAsync('sensors/env-m1/data', JSON.stringify({ ts: Date.now(), temperature: 20, humidity: 61.5, pm25: 5, noise: 50 }), { qos: 1 });
          expect(samples.some((s) => s.device === 'env-m1' && s.point === 'humidity' && s.raw === 61.5)).toBe(true);
        },
        { timeout: 10_000, interval: 300 },
      );
      const rs = await pendingSaved;
      expect(rs.body.errors, JSON.stringify(rs.body)).toEqual([]);
      expect(rs.body.reading).toMatchObject({ point: 'humidity', value: 61.5 });
      expect(saved.connected).toBe(true);
    } finally {
      await fresh.client?.endAsync();
      await saved.endAsync();
    }
  });
});

/** Secrets of a test resolve as the daemon resolves them: its environment, its configuration folder. */
describe('test before save: secret references of the daemon', () => {
  let set: CameraSet;
  let h: UiHarness;
  let admin: UiClient;
  const folder = tempDir('gridgate-ui-secrets-');
  const CAMERA = { username: 'gridgate', password: 'daemon side pw 3' };

  beforeAll(async () => {
    set = await startCameraSet({ cameras: 1, credentials: CAMERA, discovery: false, soapAuth: 'ws-security' });
    writeFileSync(join(folder.dir, 'cam.pw'), `${CAMERA.password}\n`, { mode: 0o600 });
    h = await startUi({ devices: [], env: { CAM_PW_OF_THE_DAEMON: CAMERA.password }, baseDir: folder.dir });
    admin = new UiClient(h.url);
    await admin.post('/api/ui/setup', { code: h.setupCode(), user: 'admin', password: 'commissioning pw' });
  });
  afterAll(async () => {
    await h?.stop();
    await set?.stop();
    folder.cleanup();
  });

  const camera = (password: unknown) => ({
    id: 'cam-d',
    name: 'Gate',
    kind: 'camera',
    driver: 'onvif',
    url: set.devices[0]!.url,
    username: CAMERA.username,
    password,
  });

  it.each([
    ['an environment variable of the daemon (not of this process)', { env: 'CAM_PW_OF_THE_DAEMON' }],
    ['a file relative to the configuration folder (not the working folder)', { file: 'cam.pw' }],
  ])('%s', async (_what, ref) => {
    expect(process.env.CAM_PW_OF_THE_DAEMON).toBeUndefined();
    const r = await admin.post('/api/ui/devices/test', { device: camera(ref) });
    expect(r.body.errors, JSON.stringify(r.body)).toEqual([]);
    expect(r.body.status?.status).toBe('online');
    expect(r.body.snapshot).toMatch(/^data:image\/jpeg;base64,/);
  });
});
