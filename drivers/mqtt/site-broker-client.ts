import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { errorMessage } from '../../gateway/core/errors.js';
import { fillMqttLengthCache } from '../../gateway/core/mqtt-length-cache.js';
import type { DeviceChannel } from './device-channel.js';
import { mqttError } from './error-codes.js';
import type { MqttConnection } from './schema.js';
import { TopicRouter } from './topic-router.js';

type ClientConnection = Extract<MqttConnection, { mode: 'client' }>;

/**
 * The gateway's subscription to an existing site broker (mqtt:// or mqtts://), shared by every
 * device that names the same url, username and clientId. Each device's point topics are
 * subscribed (QoS 1) while some device wants them; after a reconnect without a session they are
 * subscribed again. A broker that is down does not fail the devices: they go offline by silence,
 * and the connection keeps retrying.
 */
export class SiteBrokerClient {
  private client: MqttClient | undefined;
  private readonly router = new TopicRouter<DeviceChannel>();
  private connected = false;
  private lastError: string | undefined;

  constructor(
    private readonly connection: ClientConnection,
    private readonly password: string | undefined,
    private readonly log: Logger,
  ) {}

  /** Starts connecting (does not wait for the broker). */
  start(): void {
    const c = this.connection;
    let ca: Buffer | undefined;
    if (c.ca) {
      try {
        ca = readFileSync(c.ca);
      } catch (cause) {
        throw mqttError('E_MQTT_CONFIG', `the CA file ${c.ca} for ${c.url} cannot be read (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, cause);
      }
    }
    const options: IClientOptions = {
      clientId: c.clientId ?? `gridgate-${randomBytes(4).toString('hex')}`,
      username: c.username,
      password: this.password,
      clean: true,
      keepalive: c.keepaliveSec,
      reconnectPeriod: 2000,
      connectTimeout: 10_000,
      resubscribe: false,
      // No mqtt-packet cache of 65,536 packet-id Buffers (6 MB of heap; platform-connection.ts).
      writeCache: false,
      rejectUnauthorized: c.rejectUnauthorized,
      ...(ca ? { ca } : {}),
    };
    fillMqttLengthCache(); // gateway/core/mqtt-length-cache.ts
    const client = mqtt.connect(c.url, options);
    this.client = client;
    client.on('connect', (connack) => {
      this.connected = true;
      this.lastError = undefined;
      this.log.info({ url: c.url, sessionPresent: connack.sessionPresent }, 'connected to the site broker');
      if (!connack.sessionPresent) this.subscribe(this.router.filters());
    });
    client.on('close', () => {
      if (this.connected) this.log.warn({ url: c.url, error: this.lastError }, 'site broker connection lost');
      this.connected = false;
    });
    client.on('error', (err) => {
      const message = errorMessage(err);
      if (message !== this.lastError) {
        this.log.warn({ url: c.url, code: 'E_MQTT_CONNECTION', problem: `site broker ${c.url}: ${message}` }, 'site broker connection failed');
      }
      this.lastError = message;
    });
    client.on('message', (topic, payload, packet) => {
      for (const channel of this.router.match(topic)) {
        try {
          channel.handle(topic, payload, packet.retain);
        } catch (err) {
          // handle() does not throw; if a bug made it, the other devices still get the message.
          this.log.error({ err, device: channel.id, topic }, 'message handling failed');
        }
      }
    });
  }

  get isConnected(): boolean {
    return this.connected;
  }

  get deviceCount(): number {
    return new Set(this.router.filters().flatMap((f) => this.router.match(f))).size;
  }

  /** Why messages cannot arrive now, if the connection is down. */
  problem(): string | undefined {
    if (this.connected) return undefined;
    return `site broker ${this.connection.url} ${this.lastError ? `unreachable: ${this.lastError}` : 'not connected'}`;
  }

  addDevice(channel: DeviceChannel): void {
    channel.linkProblem = () => this.problem();
    const fresh = channel.mapper.filters.filter((f) => this.router.add(f, channel));
    if (this.connected) this.subscribe(fresh);
  }

  /** Removes a device; true when no device is left. */
  removeDevice(channel: DeviceChannel): boolean {
    const gone = this.router.remove(channel);
    if (gone.length > 0 && this.connected) this.client?.unsubscribe(gone);
    return this.router.size === 0;
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync(true);
  }

  private subscribe(filters: string[]): void {
    if (filters.length === 0 || !this.client) return;
    this.client.subscribe(filters, { qos: 1 }, (err, granted) => {
      if (err) {
        this.log.warn(
          { url: this.connection.url, code: 'E_MQTT_CONNECTION', problem: `subscribing to ${filters.join(', ')} failed: ${err.message}` },
          'subscribe failed',
        );
        return;
      }
      const refused = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic);
      if (refused.length > 0) {
        this.log.warn(
          { url: this.connection.url, code: 'E_MQTT_ACL', problem: `the site broker refused the subscription to ${refused.join(', ')}` },
          'subscribe refused',
        );
      }
    });
  }
}
