import type { Logger } from 'pino';
import type { SecretRef } from '../../gateway/config/schema/common.js';
import { readSecret } from '../../gateway/config/secrets.js';
import type { DeviceTestContext, DeviceTrial, Driver, DriverContext, RawSample } from '../../gateway/devices/driver.js';
import { trialContext } from '../../gateway/devices/driver.js';
import { DeviceChannel } from './device-channel.js';
import type { MqttDeviceStats } from './device-stats.js';
import { EmbeddedBroker, type EmbeddedBrokerStats } from './embedded-broker.js';
import { mqttError } from './error-codes.js';
import { PayloadMapper } from './payload-mapper.js';
import type { MqttDeviceConfig } from './schema.js';
import { SiteBrokerClient } from './site-broker-client.js';
import { expandPattern } from './topic-filter.js';

export interface MqttDriverOptions {
  /** Reads a password reference; default `{ env }` from process.env, `{ file }` relative to the working directory. */
  readSecret?: (ref: SecretRef) => string;
  /** How often silence is checked (ms); default 1000. */
  sweepMs?: number;
  /** The monotonic clock (ms) of silence, duplicate windows and log limits; default performance.now (tests move their own). */
  monotonic?: () => number;
}

interface DeviceEntry {
  channel: DeviceChannel;
  key: string;
}

/**
 * The MQTT driver: sensors and people counters that push JSON. Either the gateway runs the
 * broker (embedded: one aedes per host:port, shared by every device naming it, each sensor with
 * its own login and topics) or it subscribes to a site broker (client: one connection per
 * url + username + clientId). Payloads are mapped to points by the device's profile; raw values
 * go to the core, which scales them.
 */
export class MqttDriver implements Driver<MqttDeviceConfig> {
  readonly name = 'mqtt' as const;
  private ctx: DriverContext | undefined;
  private log: Logger | undefined;
  private sweep: NodeJS.Timeout | undefined;
  private readonly brokers = new Map<string, Promise<EmbeddedBroker>>();
  private readonly clients = new Map<string, SiteBrokerClient>();
  private readonly devices = new Map<string, DeviceEntry>();

  private readonly monotonic: () => number;

  constructor(private readonly options: MqttDriverOptions = {}) {
    this.monotonic = options.monotonic ?? (() => performance.now());
  }

  async start(ctx: DriverContext): Promise<void> {
    this.ctx = ctx;
    // The core's context logger already carries { driver: 'mqtt' }.
    this.log = ctx.log;
    this.sweep = setInterval(() => {
      // Silence is measured on the monotonic clock: a wall-clock step neither hides nor fakes it.
      const now = this.monotonic();
      for (const d of this.devices.values()) d.channel.checkSilence(now);
    }, this.options.sweepMs ?? 1000);
    this.sweep.unref();
  }

  async stop(signal: AbortSignal): Promise<void> {
    clearInterval(this.sweep);
    this.sweep = undefined;
    for (const id of [...this.devices.keys()]) {
      if (signal.aborted) break;
      await this.removeDevice(id);
    }
    for (const client of this.clients.values()) await client.stop();
    for (const broker of this.brokers.values())
      await broker.then(
        (b) => b.stop(),
        () => undefined,
      );
    this.clients.clear();
    this.brokers.clear();
    this.devices.clear();
    this.ctx = undefined;
  }

  async addDevice(device: MqttDeviceConfig): Promise<void> {
    const ctx = this.ctx;
    if (!ctx || !this.log) throw mqttError('E_MQTT_STOPPED', 'the mqtt driver is not started');
    if (this.devices.has(device.id)) await this.removeDevice(device.id);
    if (!device.enabled) return;
    const mapper = new PayloadMapper(device);
    const log = this.log.child({ device: device.id });
    const channel = new DeviceChannel(device, mapper, ctx, log, this.monotonic);
    const c = device.connection;
    if (c.mode === 'embedded') {
      if (!device.auth) throw mqttError('E_MQTT_CONFIG', `${device.id}: a sensor on the embedded broker needs auth (anonymous clients are refused)`);
      const password = this.secret(device.auth.password);
      const key = `embedded:${c.host}:${c.port}`;
      const broker = await this.broker(key, c.host, c.port, c.tls);
      if (broker.tls?.cert !== c.tls?.cert || broker.tls?.key !== c.tls?.key) {
        throw mqttError(
          'E_MQTT_CONFIG',
          `${device.id}: the embedded broker on ${c.host}:${c.port} is already running with other tls settings; give all its devices the same connection`,
        );
      }
      const topicId = device.topicId ?? device.id;
      broker.addSensor({
        channel,
        username: device.auth.username ?? device.id,
        password,
        publish: device.acl.publish.map((p) => expandPattern(p, topicId)),
        subscribe: device.acl.subscribe.map((p) => expandPattern(p, topicId)),
      });
      this.devices.set(device.id, { channel, key });
      ctx.status(device.id, {
        status: 'offline',
        error: 'waiting for the first message',
        meta: { mqtt: { mode: 'embedded', broker: `${c.tls ? 'mqtts' : 'mqtt'}://${c.host}:${broker.listeningPort}`, topics: mapper.filters } },
      });
      return;
    }
    const key = `client:${c.url}:${c.username ?? ''}:${c.clientId ?? ''}`;
    let client = this.clients.get(key);
    if (!client) {
      client = new SiteBrokerClient(c, c.password ? this.secret(c.password) : undefined, this.log.child({ broker: c.url }));
      client.start();
      this.clients.set(key, client);
    }
    client.addDevice(channel);
    this.devices.set(device.id, { channel, key });
    ctx.status(device.id, {
      status: 'offline',
      error: 'waiting for the first message',
      meta: { mqtt: { mode: 'client', broker: c.url, topics: mapper.filters } },
    });
  }

  async updateDevice(device: MqttDeviceConfig): Promise<void> {
    await this.addDevice(device);
  }

  async removeDevice(deviceId: string): Promise<void> {
    const entry = this.devices.get(deviceId);
    if (!entry) return;
    this.devices.delete(deviceId);
    const pending = this.brokers.get(entry.key);
    if (pending) {
      const broker = await pending;
      broker.removeSensor(deviceId);
      if (broker.deviceCount === 0) {
        this.brokers.delete(entry.key);
        await broker.stop();
      }
      return;
    }
    const client = this.clients.get(entry.key);
    if (client?.removeDevice(entry.channel)) {
      this.clients.delete(entry.key);
      await client.stop();
    }
  }

  /** The last value a message carried for the point (the UI's "last message seen"). */
  async read(deviceId: string, point: string): Promise<RawSample> {
    const channel = this.entry(deviceId).channel;
    if (!channel.mapper.has(point)) throw mqttError('E_MQTT_UNKNOWN_POINT', `${deviceId} has no point "${point}"`);
    const last = channel.lastSample(point);
    if (!last) throw mqttError('E_MQTT_NO_VALUE', `no message carrying ${deviceId}/${point} has arrived yet (topics ${channel.mapper.filters.join(', ')})`);
    return { ...last };
  }

  /** The last message of a device, whatever became of it (topic, time, size, first 512 bytes). */
  lastMessage(deviceId: string): { topic: string; at: number; bytes: number; preview: string } | undefined {
    return this.entry(deviceId).channel.lastSeen();
  }

  /** Counters of one device: messages, samples, rejects by kind, counter resets and wraps. */
  stats(deviceId: string): MqttDeviceStats {
    return this.entry(deviceId).channel.stats.snapshot();
  }

  /** Where the embedded broker of a device listens (the chosen port when configured as 0). */
  async brokerAddress(deviceId: string): Promise<{ host: string; port: number; stats: EmbeddedBrokerStats }> {
    const pending = this.brokers.get(this.entry(deviceId).key);
    if (!pending) throw mqttError('E_MQTT_CONFIG', `${deviceId} does not use the embedded broker`);
    const broker = await pending;
    return { host: broker.host, port: broker.listeningPort, stats: broker.stats() };
  }

  /**
   * Test before save on the running driver: on the embedded broker already listening (started for
   * the test when no device uses it yet, stopped after), the device's topics are watched and its
   * sensor may log in with the account under test; on a site broker, the running connection
   * subscribes to its topics too. What arrives is mapped like a saved device's messages and goes
   * to the test. `read` gives the last value seen.
   */
  async testDevice(device: MqttDeviceConfig, test: DeviceTestContext): Promise<DeviceTrial> {
    const ctx = this.ctx;
    if (!ctx || !this.log) throw mqttError('E_MQTT_STOPPED', 'the mqtt driver is not started');
    const secret = (ref: SecretRef) => (test.readSecret ? test.readSecret(ref) : this.secret(ref));
    const mapper = new PayloadMapper(device);
    const log = this.log.child({ device: device.id, test: true });
    const trialCtx = trialContext(ctx, log, test);
    const channel = new DeviceChannel(device, mapper, trialCtx, log, this.monotonic);
    const read = async (point: string): Promise<RawSample> => {
      if (!mapper.has(point)) throw mqttError('E_MQTT_UNKNOWN_POINT', `${device.id} has no point "${point}"`);
      const last = channel.lastSample(point);
      if (!last) throw mqttError('E_MQTT_NO_VALUE', `no message carrying ${device.id}/${point} has arrived yet (topics ${mapper.filters.join(', ')})`);
      return { ...last };
    };
    const c = device.connection;
    if (c.mode === 'embedded') {
      if (!device.auth) throw mqttError('E_MQTT_CONFIG', `${device.id}: a sensor on the embedded broker needs auth (anonymous clients are refused)`);
      const password = secret(device.auth.password);
      const key = `embedded:${c.host}:${c.port}`;
      const broker = await this.broker(key, c.host, c.port, c.tls);
      const topicId = device.topicId ?? device.id;
      let undo: () => void;
      try {
        undo = broker.admitTrial({
          channel,
          username: device.auth.username ?? device.id,
          password,
          publish: device.acl.publish.map((p) => expandPattern(p, topicId)),
          subscribe: device.acl.subscribe.map((p) => expandPattern(p, topicId)),
        });
      } catch (err) {
        await this.releaseBroker(key, broker);
        throw err;
      }
      test.status({
        status: 'offline',
        error: 'waiting for the first message',
        meta: { mqtt: { mode: 'embedded', broker: `${c.tls ? 'mqtts' : 'mqtt'}://${c.host}:${broker.listeningPort}`, topics: mapper.filters } },
      });
      return {
        read,
        close: async () => {
          undo();
          await this.releaseBroker(key, broker);
        },
      };
    }
    const key = `client:${c.url}:${c.username ?? ''}:${c.clientId ?? ''}`;
    let client = this.clients.get(key);
    if (!client) {
      client = new SiteBrokerClient(c, c.password ? secret(c.password) : undefined, this.log.child({ broker: c.url }));
      client.start();
      this.clients.set(key, client);
    }
    client.addDevice(channel);
    test.status({ status: 'offline', error: 'waiting for the first message', meta: { mqtt: { mode: 'client', broker: c.url, topics: mapper.filters } } });
    const held = client;
    return {
      read,
      close: async () => {
        if (held.removeDevice(channel) && this.clients.get(key) === held) {
          this.clients.delete(key);
          await held.stop();
        }
      },
    };
  }

  /** Stops a broker no device (or test) uses any more. */
  private async releaseBroker(key: string, broker: EmbeddedBroker): Promise<void> {
    const pending = this.brokers.get(key);
    if (broker.deviceCount > 0 || !pending || (await pending.catch(() => undefined)) !== broker) return;
    this.brokers.delete(key);
    await broker.stop();
  }

  private async broker(key: string, host: string, port: number, tls: { cert: string; key: string } | undefined): Promise<EmbeddedBroker> {
    let pending = this.brokers.get(key);
    if (!pending) {
      // Devices are added concurrently: the first one starts the broker, the others wait for it.
      const ctx = this.ctx!;
      const broker = new EmbeddedBroker(host, port, tls, this.log!.child({ broker: `${host}:${port}` }), () => ctx.committed?.() ?? Promise.resolve());
      // Counted under the broker's name: no device is known before a login succeeds.
      broker.onRefused = (reason) => ctx.rejected?.(`mqtt-broker-${host}-${broker.listeningPort}`, reason);
      pending = broker.start().then(() => broker);
      this.brokers.set(key, pending);
      pending.catch(() => this.brokers.delete(key));
    }
    return pending;
  }

  private secret(ref: SecretRef): string {
    return this.options.readSecret ? this.options.readSecret(ref) : readSecret(ref, process.cwd(), process.env);
  }

  private entry(deviceId: string): DeviceEntry {
    const e = this.devices.get(deviceId);
    if (!e) throw mqttError('E_MQTT_UNKNOWN_DEVICE', `no mqtt device "${deviceId}"`);
    return e;
  }
}
