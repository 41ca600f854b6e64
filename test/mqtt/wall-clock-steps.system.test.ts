import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startPlatformBroker } from '../../simulators/platform/platform-broker.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { tempDir, testConfig } from '../helpers/gateway-harness.js';
import { freePort } from '../helpers/mosquitto.js';
import { PlatformRecorder } from '../helpers/platform.js';

/** Debian's libfaketime (package libfaketime, pulled by faketime): fakes the wall clock of the child only. */
const LIBFAKETIME = process.env.LIBFAKETIME ?? '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const PERIOD_MS = 200;
const PHASE_MS = 4_000;

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * The wall clock of a gateway child process is stepped −1 h and then +1 day while two MQTT
 * sensors publish every 200 ms with their own (correct) clocks: libfaketime with
 * FAKETIME_TIMESTAMP_FILE re-read on every call (FAKETIME_NO_CACHE=1) and the monotonic clock
 * left alone (DONT_FAKE_MONOTONIC=1), as an NTP step does. Every message must become a reading
 * at the same rate in every phase, none refused as out of order, and no sensor may go offline.
 */
describe('MQTT sensors when the gateway wall clock steps (libfaketime)', () => {
  it('keep their rate through −1 h and +1 day steps; nothing dropped as out of order; offline only after real silence', async () => {
    expect(existsSync(LIBFAKETIME), `${LIBFAKETIME} (Debian package libfaketime)`).toBe(true);
    const platform = await startPlatformBroker();
    cleanups.push(platform.stop);
    const recorder = new PlatformRecorder(platform.url);
    await recorder.start();
    cleanups.push(() => recorder.stop());
    const tmp = tempDir('gg-mqtt-faketime-');
    cleanups.push(tmp.cleanup);
    const port = await freePort();
    const connection = { mode: 'embedded' as const, host: '127.0.0.1', port };
    const auth = { password: { env: 'GG_TEST_SENSOR_PW' } };
    const http = await freePort();
    const config = testConfig(platform.url, join(tmp.dir, 'data'), {
      http: { host: '127.0.0.1', port: http, metrics: { token: { env: 'GG_TEST_METRICS_TOKEN' } } },
      devices: [
        { id: 'env-1', kind: 'mqtt', driver: 'mqtt', profile: 'mqtt-env-json', connection, auth, offlineAfterMs: 2_000 },
        { id: 'pc-1', kind: 'people-counter', driver: 'mqtt', profile: 'mqtt-axis-people-counter', connection, auth, offlineAfterMs: 2_000 },
        // Pauses on purpose: really silent for 3.5 s after the step back (must go offline then,
        // not an hour later), silent for 1.2 s across the step ahead (must stay online).
        { id: 'env-2', kind: 'mqtt', driver: 'mqtt', profile: 'mqtt-env-json', connection, auth, offlineAfterMs: 2_000 },
      ],
    });
    const clockFile = join(tmp.dir, 'faketime');
    writeFileSync(clockFile, '+0\n');
    const gateway = new GatewayProcess(tmp.dir, config);
    gateway.start({
      LD_PRELOAD: LIBFAKETIME,
      FAKETIME_TIMESTAMP_FILE: clockFile,
      FAKETIME_NO_CACHE: '1',
      DONT_FAKE_MONOTONIC: '1',
      GG_TEST_SENSOR_PW: 'sensor-password-1',
      // /api/status needs a UI session or the metrics token.
      GG_TEST_METRICS_TOKEN: 'status-token-1',
    });
    cleanups.push(() => gateway.kill('SIGTERM'));

    const connect = async (username: string): Promise<MqttClient> => {
      const until = Date.now() + 30_000;
      for (;;) {
        try {
          return await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username, password: 'sensor-password-1', reconnectPeriod: 200, connectTimeout: 2_000 });
        } catch (err) {
          if (Date.now() > until) throw new Error(`the gateway's broker did not admit ${username}: ${(err as Error).message}\n${gateway.output}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    };
    const env = await connect('env-1');
    const pc = await connect('pc-1');
    const env2 = await connect('env-2');
    cleanups.push(
      () => env.endAsync(true),
      () => pc.endAsync(true),
      () => env2.endAsync(true),
    );
    let env2QuietUntil = 0;

    // The sensors: real time in their payloads, one message each per 200 ms.
    let sent = 0;
    let count = 1_000;
    const sentAt: number[] = [];
    const timer = setInterval(() => {
      const now = Date.now();
      sent++;
      count += 1;
      sentAt.push(now);
      env.publish('sensors/env-1/data', JSON.stringify({ ts: now, temperature: 20 + (sent % 5), humidity: 40, pm25: 8, noise: 50 }), { qos: 1 });
      pc.publish('axis/pc-1/people-counter', JSON.stringify({ timestamp: new Date(now).toISOString(), in: count, out: 900 }), { qos: 1 });
      if (now >= env2QuietUntil) env2.publish('sensors/env-2/data', JSON.stringify({ ts: now, temperature: 21, humidity: 40, pm25: 8, noise: 50 }), { qos: 1 });
    }, PERIOD_MS);
    cleanups.push(() => clearInterval(timer));

    const readingsOf = (device: string, point: string) => recorder.readings().filter((r) => r.device === device && r.point === point);
    await recorder.until(() => readingsOf('pc-1', 'in').length >= 5, 30_000, `the first readings\n${gateway.output}`);
    const phases: Array<{ name: string; from: number; to: number }> = [];
    const phase = async (name: string, clock: string, env2QuietMs: number, ms = PHASE_MS) => {
      env2QuietUntil = Date.now() + env2QuietMs;
      writeFileSync(clockFile, `${clock}\n`);
      const from = Date.now();
      await new Promise((r) => setTimeout(r, ms));
      phases.push({ name, from, to: Date.now() });
    };
    await phase('real time', '+0', 0);
    await phase('stepped back 1 h', '-1h', 3_500, 6_000); // offline due ~3 s in, online again at 3.5 s
    await phase('stepped ahead 1 day', '+1d', 1_200);
    clearInterval(timer);
    const total = sent;

    // Every message became a reading: none refused (out of order, or anything else).
    await recorder.until(
      () => readingsOf('pc-1', 'in').length === total && readingsOf('env-1', 'temperature').length === total,
      20_000,
      `all ${total} readings (have ${readingsOf('pc-1', 'in').length})`,
    );
    expect(readingsOf('pc-1', 'in').map((r) => r.value)).toEqual(Array.from({ length: total }, (_, i) => 1_001 + i));
    // The rate held in each phase: readings accepted in it (by the time of the message they carry) ≈ messages sent in it.
    const sentIn = (p: { from: number; to: number }) => sentAt.filter((t) => t >= p.from && t < p.to).length;
    const stamps = recorder
      .of('telemetry')
      .flatMap((m) => m.doc.readings.filter((r: { device: string; point: string }) => r.device === 'pc-1' && r.point === 'in').map(() => m.at));
    for (const p of phases) {
      const got = stamps.filter((t) => t >= p.from && t < p.to + 1_000).length;
      expect(sentIn(p), p.name).toBeGreaterThanOrEqual(Math.floor(((p.to - p.from) / PERIOD_MS) * 0.5));
      expect(got, `${p.name}: readings delivered vs ${sentIn(p)} sent`).toBeGreaterThanOrEqual(Math.floor(sentIn(p) * 0.8));
    }
    // Stepped back: device times an hour ahead are not trusted (receive time, uncertain); never out of order.
    const back = readingsOf('pc-1', 'in').filter((r) => r.quality === 'uncertain');
    expect(back.length).toBeGreaterThan(0);
    expect(back[0].error).toMatch(/ahead of the gateway's clock/);
    const status = (await (await fetch(`http://127.0.0.1:${http}/api/status`, { headers: { authorization: 'Bearer status-token-1' } })).json()) as {
      ingestRejected: Record<string, Record<string, number>>;
      devices: Array<{ device: string; status: string }>;
    };
    expect(status.ingestRejected['pc-1']?.['out-of-order'] ?? 0).toBe(0);
    expect(status.ingestRejected['env-1']?.['out-of-order'] ?? 0).toBe(0);
    // Silence is measured on the monotonic clock: the sensors that kept publishing never went
    // offline; the one silent for 3.5 s after the step back went offline after 2 s (not an hour
    // later) and came back; its 1.2 s pause across the step ahead was not a day of silence.
    const statesOf = (device: string) => recorder.messages.filter((m) => m.kind === 'device-state' && m.doc.device === device);
    for (const device of ['env-1', 'pc-1']) {
      const states = statesOf(device).map((m) => m.doc.status as string);
      expect(states.slice(states.indexOf('online')), device).not.toContain('offline');
    }
    const env2States = statesOf('env-2').filter((m) => m.at >= phases[1]!.from);
    expect(env2States.map((m) => m.doc.status)).toEqual(['offline', 'online']);
    expect(env2States[0]!.doc.error).toBe('no message for 2 s');
    // Reported while the clock was an hour back (with silence on the wall clock it came only after the day step).
    expect(env2States[0]!.at).toBeLessThan(phases[1]!.to);
    expect(recorder.events('device.offline').map((e) => e.source.device)).toEqual(['env-2']);
    expect(status.devices.filter((d) => d.status !== 'online')).toEqual([]);
  });
});
