import { afterEach, describe, expect, it } from 'vitest';
import { MqttDriver } from '../../drivers/mqtt/mqtt-driver.js';
import type { DeviceConfig } from '../../gateway/config/schema/devices.js';
import { SyntheticDriver } from '../../drivers/synthetic/synthetic-driver.js';
import { formatProblem } from '../../gateway/config/config-problems.js';
import { validateConfig } from '../../gateway/config/load-config.js';
import { silentLogger } from '../../gateway/core/logger.js';
import { Gateway } from '../../gateway/daemon.js';
import type { Driver } from '../../gateway/devices/driver.js';
import { tempDir, TEST_ROOT, testConfig } from '../helpers/gateway-harness.js';
import { startPlatform } from '../helpers/platform.js';
import { connectClient, deviceFromProfile } from './helpers.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * The driver inside a real gateway: core pipeline (scale, unit conversion, quality), outbox,
 * uplink to a platform broker. The MQTT devices are added to the validated configuration here
 * (merged with their profiles as the loader does), so this runs whether or not drivers/index.ts
 * lists the mqtt driver yet.
 */
describe('the MQTT driver in a gateway', () => {
  it('delivers converted readings, bad points with their error, and device state to the platform', async () => {
    const { broker: platform, recorder, stop } = await startPlatform();
    cleanups.push(stop);
    const tmp = tempDir('gg-mqtt-gw-');
    cleanups.push(tmp.cleanup);

    const result = validateConfig(testConfig(platform.url, tmp.dir), { baseDir: process.cwd(), env: {} });
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join('; '));
    const connection = { mode: 'embedded' as const, host: '127.0.0.1', port: 0 };
    const mqttDevices = [
      await deviceFromProfile('mqtt-env-array', { id: 'env-river-01', connection, auth: { password: { env: 'PW' } }, zone: 'riverside' }),
      await deviceFromProfile('mqtt-axis-people-counter', { id: 'pc-axis-01', kind: 'people-counter', connection, auth: { password: { env: 'PW' } } }),
    ];
    const config = { ...result.loaded.config, devices: [...result.loaded.config.devices, ...(mqttDevices as unknown as DeviceConfig[])] };
    const driver = new MqttDriver({ readSecret: () => 'pw-for-gateway-test', sweepMs: 50 });
    const drivers = new Map<string, Driver>([
      ['synthetic', new SyntheticDriver()],
      ['mqtt', driver],
    ]);
    const gateway = new Gateway({ config, baseDir: process.cwd(), log: silentLogger(), env: {}, drivers });
    await gateway.start();
    cleanups.push(() => gateway.stop());

    const { port } = await driver.brokerAddress('env-river-01');
    // Device times a minute ago (device times are checked against the gateway's clock).
    const t0 = Date.now() - 60_000;
    const iso = (ms: number) => new Date(t0 + ms).toISOString();
    const url = `mqtt://127.0.0.1:${port}`;
    const env = await connectClient(url, { username: 'env-river-01', password: 'pw-for-gateway-test' });
    const pc = await connectClient(url, { username: 'pc-axis-01', password: 'pw-for-gateway-test' });
    cleanups.push(
      () => env.endAsync(true),
      () => pc.endAsync(true),
    );

    await env.publishAsync(
      'sensors/env-river-01/measurements',
      JSON.stringify({
        time: iso(0),
        data: [
          { type: 'temperature', value: 77 },
          { type: 'humidity', value: 40 },
          { type: 'pm2.5', value: 'n/a' },
        ],
      }),
      { qos: 1 },
    );
    await pc.publishAsync('axis/pc-axis-01/people-counter', JSON.stringify({ timestamp: iso(1_000), in: 120, out: 100 }), { qos: 1 });
    await pc.publishAsync('axis/pc-axis-01/people-counter', JSON.stringify({ timestamp: iso(11_000), in: 2, out: 1 }), { qos: 1 }); // reset

    const reading = (device: string, point: string) => recorder.readings().filter((r) => r.device === device && r.point === point);
    await recorder.until(() => reading('pc-axis-01', 'in').length === 2 && reading('env-river-01', 'pm25').length === 1, 15_000, 'the readings');
    expect(reading('env-river-01', 'temperature')[0]).toMatchObject({ value: 25, unit: 'Cel', quality: 'good', ts: iso(0) });
    expect(reading('env-river-01', 'pm25')[0]).toMatchObject({
      value: null,
      unit: 'ug/m3',
      quality: 'bad',
      error: 'payload on sensors/env-river-01/measurements: $.data[?type=pm2.5].value is "n/a", not a number',
    });
    expect(reading('pc-axis-01', 'in').map((r) => r.value)).toEqual([120, 122]);
    expect(reading('pc-axis-01', 'in-delta').map((r) => [r.value, r.unit])).toEqual([[2, '{person}']]);
    await recorder.until(
      () => recorder.messages.some((m) => m.topic === `${TEST_ROOT}/devices/pc-axis-01/state` && m.doc?.status === 'online'),
      15_000,
      'device state online',
    );
  });
});
