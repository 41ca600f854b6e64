import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { type PlatformBroker, startPlatformBroker } from '../../simulators/platform/platform-broker.js';
import { tempDir, testConfig } from '../helpers/gateway-harness.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { PlatformRecorder } from '../helpers/platform.js';

const KILLS = 4;
const PASSWORD_ENV = 'PUBACK_TEST_PW';
const PASSWORD = 'puback-durable-test-pw';

/** A free loopback port: the sensor must find the restarted gateway's broker where the last one was. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * A PUBACK from the embedded broker means "on disk": a QoS 1 sensor that got its PUBACK may forget
 * the message, so a kill -9 of the gateway right after must not lose it. A real gateway process is
 * killed several times while a sensor (MQTT.js) publishes a numbered sequence at a steady rate;
 * every number whose PUBACK the sensor saw must reach the platform.
 */
describe('PUBACK after durable', () => {
  const tmp = tempDir('gg-puback-');
  let broker: PlatformBroker | undefined;
  let platform: PlatformRecorder | undefined;
  let sensor: MqttClient | undefined;
  const gateway: { p?: GatewayProcess } = {};

  afterAll(async () => {
    sensor?.end(true);
    await gateway.p?.kill('SIGKILL');
    await platform?.stop();
    await broker?.stop();
    tmp.cleanup();
  });

  it('delivers every message the sensor got a PUBACK for, across repeated kill -9', async () => {
    broker = await startPlatformBroker();
    platform = new PlatformRecorder(broker.url);
    await platform.start();
    const port = await freePort();
    const profiles = join(tmp.dir, 'profiles');
    mkdirSync(profiles);
    writeFileSync(
      join(profiles, 'seq-sensor.yaml'),
      "name: seq-sensor\ndriver: mqtt\nkind: mqtt\npoints:\n  - { name: seq, topic: 'bench/{device}/data', path: $.seq, time: $.t, timeFormat: epoch-ms }\n",
    );
    const config = testConfig(broker.url, join(tmp.dir, 'data'), {
      profileDirs: [profiles],
      batching: { maxReadings: 200, maxDelayMs: 20 },
      devices: [
        {
          id: 'seq-1',
          kind: 'mqtt',
          driver: 'mqtt',
          profile: 'seq-sensor',
          connection: { mode: 'embedded', host: '127.0.0.1', port },
          auth: { password: { env: PASSWORD_ENV } },
        },
      ] as never,
    });
    gateway.p = new GatewayProcess(tmp.dir, config);
    const start = () => gateway.p!.start({ [PASSWORD_ENV]: PASSWORD });
    start();

    // The sensor: QoS 1, a steady stream; MQTT.js resends what was not acknowledged after reconnecting.
    const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
      clientId: 'seq-1',
      username: 'seq-1',
      password: PASSWORD,
      clean: false,
      reconnectPeriod: 100,
      connectTimeout: 2000,
    });
    sensor = client;
    client.on('error', () => {});
    const acked = new Set<number>();
    let next = 0;
    const sender = setInterval(() => {
      // ~1,000 messages/s, enough that a kill -9 lands between an acknowledgement and a commit.
      for (let i = 0; i < 5; i++) {
        const seq = next++;
        client.publish('bench/seq-1/data', JSON.stringify({ seq, t: Date.now() }), { qos: 1 }, (err) => {
          if (!err) acked.add(seq);
        });
      }
    }, 5);

    const delivered = () => new Set(platform!.readings().map((r) => r.value as number));
    try {
      for (let kill = 0; kill < KILLS; kill++) {
        const before = acked.size;
        await platform.until(() => acked.size > before + 500, 30_000, `acknowledged messages before kill ${kill + 1}`);
        await gateway.p.kill('SIGKILL');
        start();
      }
      const before = acked.size;
      await platform.until(() => acked.size > before + 500, 30_000, 'acknowledged messages after the last restart');
    } catch (err) {
      throw new Error(`${(err as Error).message}; acknowledged ${acked.size} of ${next}; gateway output:\n${gateway.p.output}`);
    } finally {
      clearInterval(sender);
    }
    const ackedNow = [...acked];
    await platform
      .until(
        () => {
          const got = delivered();
          return ackedNow.every((s) => got.has(s));
        },
        30_000,
        'every acknowledged message at the platform',
      )
      .catch(() => {}); // the assertion below names what is missing

    const got = delivered();
    const lost = ackedNow.filter((s) => !got.has(s));
    expect(lost).toEqual([]);
    expect(ackedNow.length).toBeGreaterThan(KILLS * 500);
  }, 180_000); // five gateway starts of a few seconds each on a loaded 2-core machine
});
