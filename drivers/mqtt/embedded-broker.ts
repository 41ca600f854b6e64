import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { fillMqttLengthCache } from '../../gateway/core/mqtt-length-cache.js';
import type { Logger } from 'pino';
import type { DeviceChannel } from './device-channel.js';
import { mqttError } from './error-codes.js';
import { guardPacketSize } from './packet-size-guard.js';
import { RateLimitedLog } from './rate-limited-log.js';
import { filterCovers } from './topic-filter.js';

/** A sensor's login and topics on the embedded broker. */
export interface SensorAccount {
  channel: DeviceChannel;
  username: string;
  password: string;
  /** Extra publish filters (expanded), besides the device's point topics. */
  publish: readonly string[];
  /** Subscribe filters (expanded); empty = no subscriptions. */
  subscribe: readonly string[];
}

interface Account {
  sensor: SensorAccount;
  digest: Buffer;
  clients: Set<Client>;
}

/** Broker-wide refusals, for clients no device can be blamed for. */
export interface EmbeddedBrokerStats {
  connections: number;
  anonymousRefused: number;
  unknownUserRefused: number;
  /** Connections closed for a packet over the broker's cap (before any parsing). */
  oversizedPackets: number;
}

const digest = (secret: string | Buffer) => createHash('sha256').update(secret).digest();
/** Compared against when the username is unknown, so a miss costs the same as a wrong password. */
const DUMMY = digest('gridgate: no such user');

/**
 * The broker the site's sensors publish to, run by the gateway (aedes on a TCP port). Every
 * client logs in with its device's username and password (compared in constant time; anonymous
 * clients are refused with CONNACK 5), may publish only on its device's topics (anything else
 * closes its connection, MQTT-3.3.5-2, and is counted on the device) and may subscribe only to
 * what its device's acl.subscribe allows (SUBACK 0x80 otherwise). Messages go to the device's
 * channel; the broker still forwards them to permitted subscribers.
 */
export class EmbeddedBroker {
  private broker: Aedes | undefined;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly accounts = new Map<string, Account>();
  private readonly clientAccount = new WeakMap<Client, Account>();
  private readonly refusals: RateLimitedLog;
  private readonly counts: EmbeddedBrokerStats = { connections: 0, anonymousRefused: 0, unknownUserRefused: 0, oversizedPackets: 0 };
  private boundPort = 0;
  /** Devices under test (test before save) that see the messages on their topics, whoever sent them. */
  private readonly taps = new Set<DeviceChannel>();
  private cap = 2 * 65_536 + 4096;
  /** Refusals no device can be blamed for (anonymous, unknown user, packet over the cap), for the metrics. */
  onRefused: (reason: 'auth' | 'oversize') => void = () => {};

  constructor(
    readonly host: string,
    private readonly port: number,
    /** PEM files of the broker's certificate and key, for MQTT over TLS. */
    readonly tls: { cert: string; key: string } | undefined,
    private readonly log: Logger,
    /** Resolves when what the devices handed in so far is durable (DriverContext.committed). */
    private readonly committed: () => Promise<void> = () => Promise.resolve(),
  ) {
    this.refusals = new RateLimitedLog(log);
  }

  /** Listens; E_MQTT_LISTEN when the port is taken or the address is not ours. */
  async start(): Promise<void> {
    // aedes writes through mqtt-packet too: its length cache must not pin the Buffer pool.
    fillMqttLengthCache();
    const broker = await Aedes.createBroker({ connectTimeout: 10_000, drainTimeout: 10_000, maxClientsIdLength: 128, heartbeatInterval: 3_600_000 });
    broker.authenticate = (client, username, password, done) => this.authenticate(client, username, password, done);
    broker.authorizePublish = (client, packet, done) => {
      const account = client ? this.clientAccount.get(client) : undefined;
      if (!account) return done(new Error('not authenticated'));
      if (packet.topic.startsWith('$') || !account.sensor.channel.mayPublish(packet.topic, account.sensor.publish)) {
        account.sensor.channel.refused('aclDenied', packet.topic, `${account.sensor.username} may not publish on ${packet.topic}; connection closed`);
        return done(mqttError('E_MQTT_ACL', `${account.sensor.username} may not publish on ${packet.topic}`));
      }
      // The message is taken here, not in `published`: for QoS 1 aedes writes the PUBACK as soon
      // as this callback runs and calls `published` only after that (aedes 1.2 handlers/publish.js).
      // Holding `done` until the outbox commit holding the message's readings (or its rejection
      // count) is durable makes a PUBACK mean "on disk" [MQTT-4.3.2-2: the receiver owns the
      // message once it has sent PUBACK]. aedes reads the next packets of the connection only when
      // a read chunk is done, so a slow disk slows the sensor down instead of filling memory.
      this.take(account, packet.topic, packet.payload as Buffer);
      if (this.taps.size > 0) this.tapped(account, packet.topic, packet.payload as Buffer);
      if (packet.qos === 0) return done(null);
      this.committed().then(
        () => done(null),
        (err: unknown) => {
          // Not stored: no PUBACK; the connection is closed and the sensor sends it again after reconnecting.
          this.refusals.warn(
            { kind: 'not-stored', device: account.sensor.channel.id, problem: `message on ${packet.topic} not acknowledged: ${(err as Error).message}` },
            'message not stored',
          );
          done(err as Error);
        },
      );
    };
    broker.authorizeSubscribe = (client, sub, done) => {
      const account = this.clientAccount.get(client);
      if (account?.sensor.subscribe.some((f) => filterCovers(f, sub.topic))) return done(null, sub);
      account?.sensor.channel.refused('aclDenied', sub.topic, `${account.sensor.username} may not subscribe to ${sub.topic}`);
      done(null, null); // SUBACK 0x80 (MQTT 3.1.1 section 3.9.3) rather than closing the connection
    };
    broker.on('clientDisconnect', (client) => this.clientAccount.get(client)?.clients.delete(client));
    broker.on('clientError', (client, err) => this.log.debug({ clientId: client.id, err: err.message }, 'client error'));
    let tlsOptions: { cert: Buffer; key: Buffer } | undefined;
    if (this.tls) {
      try {
        tlsOptions = { cert: readFileSync(this.tls.cert), key: readFileSync(this.tls.key) };
      } catch (cause) {
        await new Promise<void>((resolve) => broker.close(() => resolve()));
        const why = (cause as NodeJS.ErrnoException).code ?? 'error';
        throw mqttError('E_MQTT_CONFIG', `the TLS certificate ${this.tls.cert} or key ${this.tls.key} of the embedded broker cannot be read (${why})`, cause);
      }
    }
    const accept = (socket: Socket) => {
      this.counts.connections++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      guardPacketSize(
        socket,
        () => this.cap,
        (why) => {
          this.counts.oversizedPackets++;
          this.onRefused('oversize');
          const problem = `${why.reason} from ${socket.remoteAddress}:${socket.remotePort}; connection closed`;
          this.refusals.warn({ kind: 'oversized', code: 'E_MQTT_PAYLOAD', problem }, 'connection refused');
        },
      );
      broker.handle(socket);
    };
    // TLS: the guard and aedes see the decrypted stream of the TLSSocket.
    const server = tlsOptions ? createTlsServer(tlsOptions, accept) : createServer(accept);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.port, this.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (cause) {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      const why = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
      throw mqttError('E_MQTT_LISTEN', `the embedded MQTT broker cannot listen on ${this.host}:${this.port} (${why})`, cause);
    }
    server.on('error', (err) => this.log.error({ err }, 'embedded broker server error'));
    const address = server.address();
    this.boundPort = typeof address === 'object' && address ? address.port : this.port;
    this.broker = broker;
    this.server = server;
    this.log.info({ host: this.host, port: this.boundPort, tls: Boolean(tlsOptions) }, 'embedded MQTT broker listening');
  }

  /** The port it listens on (the chosen one when configured as 0). */
  get listeningPort(): number {
    return this.boundPort;
  }

  get deviceCount(): number {
    return this.accounts.size;
  }

  stats(): EmbeddedBrokerStats {
    return { ...this.counts };
  }

  /** Admits a sensor; E_MQTT_CONFIG when another device already has its username. */
  addSensor(sensor: SensorAccount): void {
    const other = this.accounts.get(sensor.username);
    if (other && other.sensor.channel.id !== sensor.channel.id) {
      throw mqttError(
        'E_MQTT_CONFIG',
        `${sensor.channel.id}: username "${sensor.username}" is already used by device ${other.sensor.channel.id} on ${this.host}:${this.port}`,
      );
    }
    this.accounts.set(sensor.username, { sensor, digest: digest(sensor.password), clients: other?.clients ?? new Set() });
    this.updateCap();
  }

  /**
   * The largest packet a connection may send: twice the largest maxPayloadBytes of the devices
   * plus room for the topic. Between a device's maxPayloadBytes and this, a message is counted
   * as oversized on its device; above it, the connection is closed before the packet is read.
   */
  private updateCap(): void {
    let max = 65_536;
    for (const a of this.accounts.values()) max = Math.max(max, a.sensor.channel.config.maxPayloadBytes);
    this.cap = 2 * max + 4096;
  }

  /** Removes a sensor and closes its connections. */
  removeSensor(deviceId: string): void {
    for (const [username, account] of this.accounts) {
      if (account.sensor.channel.id !== deviceId) continue;
      this.accounts.delete(username);
      for (const c of account.clients) c.close();
    }
    this.updateCap();
  }

  /**
   * Test before save: `channel` sees every message published on its topics on this broker, and
   * its sensor may log in with the account under test when no device uses that username yet
   * (a device already saved keeps its own account). Returns what undoes both.
   */
  admitTrial(sensor: SensorAccount): () => void {
    const other = this.accounts.get(sensor.username);
    if (other && other.sensor.channel.id !== sensor.channel.id) {
      throw mqttError(
        'E_MQTT_CONFIG',
        `${sensor.channel.id}: username "${sensor.username}" is already used by device ${other.sensor.channel.id} on ${this.host}:${this.port}`,
      );
    }
    const account: Account | undefined = other ? undefined : { sensor, digest: digest(sensor.password), clients: new Set() };
    if (account) this.accounts.set(sensor.username, account);
    this.taps.add(sensor.channel);
    return () => {
      this.taps.delete(sensor.channel);
      if (account && this.accounts.get(sensor.username) === account) {
        this.accounts.delete(sensor.username);
        for (const c of account.clients) c.close();
      }
    };
  }

  private tapped(account: Account, topic: string, payload: Buffer): void {
    for (const channel of this.taps) {
      if (channel === account.sensor.channel || !channel.mayPublish(topic, [])) continue;
      try {
        channel.handle(topic, payload);
      } catch (err) {
        this.log.error({ err, device: channel.id, topic }, 'message handling failed');
      }
    }
  }

  async stop(): Promise<void> {
    const server = this.server;
    const broker = this.broker;
    this.server = undefined;
    this.broker = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (broker) await new Promise<void>((resolve) => broker.close(() => resolve()));
  }

  /** One authorized message for its device; wills take this path too (aedes authorizes them). */
  private take(account: Account, topic: string, payload: Buffer): void {
    try {
      account.sensor.channel.handle(topic, payload);
    } catch (err) {
      // handle() does not throw; if a bug made it, the broker and the other sensors go on.
      this.log.error({ err, device: account.sensor.channel.id, topic }, 'message handling failed');
    }
  }

  private authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void {
    if (!username) {
      this.counts.anonymousRefused++;
      this.onRefused('auth');
      this.refusals.warn({ kind: 'anonymous', clientId: client.id, code: 'E_MQTT_AUTH', problem: `anonymous client "${client.id}" refused` }, 'sensor refused');
      done(Object.assign(mqttError('E_MQTT_AUTH', 'anonymous clients are not allowed'), { returnCode: 5 as const }), false);
      return;
    }
    const account = this.accounts.get(username);
    const given = digest(password ?? Buffer.alloc(0));
    const ok = timingSafeEqual(given, account?.digest ?? DUMMY) && account !== undefined;
    if (!ok) {
      if (account) account.sensor.channel.refused('authFailed', undefined, `wrong password for "${username}" from client "${client.id}"`);
      else {
        this.counts.unknownUserRefused++;
        this.onRefused('auth');
        this.refusals.warn(
          { kind: 'unknownUser', clientId: client.id, username, code: 'E_MQTT_AUTH', problem: `unknown username "${username}"` },
          'sensor refused',
        );
      }
      done(Object.assign(mqttError('E_MQTT_AUTH', 'bad username or password'), { returnCode: 4 as const }), false);
      return;
    }
    account.clients.add(client);
    this.clientAccount.set(client, account);
    done(null, true);
  }
}
