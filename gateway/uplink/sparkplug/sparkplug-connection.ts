import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { PlatformConfig } from '../../config/schema/gateway-config.js';
import { errorMessage } from '../../core/errors.js';
import { Backoff } from '../backoff.js';
import type { ConnectionStatus } from '../platform-connection.js';

export interface SparkplugConnectionOptions {
  config: PlatformConfig;
  clientId: string;
  password?: string;
  /** The NDEATH will for the next CONNECT; called once per attempt (the bdSeq moves on each time). */
  will: () => { topic: string; payload: Buffer };
  log: Logger;
  now: () => number;
}

/**
 * The Edge Node's MQTT session. Not the v1 PlatformConnection because Sparkplug wants other
 * session rules: a clean session ([tck-id-principles-persistence-clean-session-311]: commands
 * are not queued across sessions, a new birth follows every connect), a binary will published
 * with QoS 1 and retain false ([tck-id-payloads-ndeath-will-message-qos],
 * [tck-id-payloads-ndeath-will-message-retain]) whose bdSeq changes with every CONNECT.
 * A fresh mqtt.js client per attempt, as in platform-connection.ts, so no callback is lost.
 */
export class SparkplugConnection {
  private client: MqttClient | undefined;
  private generation = 0;
  private readonly backoff: Backoff;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private dropFn: ((reason: string, graceful: boolean) => void) | undefined;
  readonly status: ConnectionStatus;
  private handlers: { up: (generation: number) => void; down: (reason: string) => void; message: (topic: string, payload: Buffer) => void } | undefined;

  constructor(private readonly o: SparkplugConnectionOptions) {
    this.backoff = new Backoff(o.config.reconnect.minDelayMs, o.config.reconnect.maxDelayMs);
    this.status = { connected: false, since: o.now(), connects: 0 };
  }

  start(handlers: NonNullable<SparkplugConnection['handlers']>): void {
    this.handlers = handlers;
    this.attempt();
  }

  get currentGeneration(): number {
    return this.generation;
  }

  /** Resolves on PUBACK (QoS 1) or once written to the socket (QoS 0). */
  publish(topic: string, payload: Uint8Array, qos: 0 | 1): Promise<void> {
    const client = this.client;
    if (!client || !this.status.connected) return Promise.reject(new Error('not connected'));
    return new Promise((resolve, reject) => {
      client.publish(topic, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), { qos, retain: false }, (err) => (err ? reject(err) : resolve()));
    });
  }

  subscribe(filters: string[]): Promise<void> {
    const client = this.client;
    if (!client) return Promise.reject(new Error('not connected'));
    return new Promise((resolve, reject) => {
      // [tck-id-message-flow-edge-node-ncmd-subscribe]: QoS 1
      client.subscribe(filters, { qos: 1 }, (err, granted) => {
        if (err) reject(err);
        else if (granted?.some((g) => g.qos === 128)) reject(new Error(`broker refused a subscription to ${filters.join(', ')}`));
        else resolve();
      });
    });
  }

  /** Ends this session with a DISCONNECT (the caller published its NDEATH) and connects again after a backoff. */
  drop(reason: string): void {
    this.dropFn?.(reason, true);
  }

  /** Publishes `final` (the NDEATH) if connected, then closes within `timeoutMs`. */
  async stop(final: { topic: string; payload: Buffer } | undefined, timeoutMs: number): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    if (!client) return;
    if (final && this.status.connected) {
      // [tck-id-operational-behavior-edge-node-intentional-disconnect-ndeath]
      await Promise.race([this.publish(final.topic, final.payload, 1).catch(() => {}), new Promise((r) => setTimeout(r, timeoutMs))]);
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        client.end(true);
        resolve();
      }, timeoutMs);
      client.end(false, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.client = undefined;
    this.status.connected = false;
  }

  private attempt(): void {
    if (this.stopped) return;
    const generation = ++this.generation;
    const client = mqtt.connect(this.o.config.url, this.clientOptions());
    this.client = client;
    let failed = false;
    const fail = (reason: string, graceful = false) => {
      if (failed || generation !== this.generation) return;
      failed = true;
      client.removeAllListeners();
      client.on('error', () => {});
      // Graceful: a DISCONNECT, so the broker drops the will (the NDEATH was published already).
      client.end(!graceful);
      const wasConnected = this.status.connected;
      this.status.connected = false;
      this.status.since = this.o.now();
      this.status.lastError = reason;
      if (wasConnected) this.handlers?.down(reason);
      if (this.stopped) return;
      const delay = this.backoff.next();
      this.o.log.warn({ reason, retryInMs: delay }, wasConnected ? 'sparkplug session ended' : 'sparkplug connection failed');
      this.retryTimer = setTimeout(() => this.attempt(), delay);
    };
    this.dropFn = fail;
    client.on('connect', () => {
      if (generation !== this.generation) return;
      this.backoff.reset();
      this.status.connected = true;
      this.status.since = this.o.now();
      this.status.connects++;
      this.o.log.info({ url: this.o.config.url }, 'sparkplug connected');
      this.handlers?.up(generation);
    });
    client.on('message', (topic, payload) => {
      if (generation !== this.generation) return;
      try {
        this.handlers?.message(topic, payload);
      } catch (err) {
        // Whatever a message from the broker does, it must not take the connection (or the process) down.
        this.o.log.error({ err, topic }, 'sparkplug message handling failed');
      }
    });
    client.on('error', (err) => fail(describe(err)));
    client.on('close', () => fail(this.status.lastError && !this.status.connected ? this.status.lastError : 'connection closed'));
    client.on('offline', () => fail('connection closed'));
  }

  private clientOptions(): IClientOptions {
    const c = this.o.config;
    const will = this.o.will();
    const options: IClientOptions = {
      clientId: this.o.clientId,
      protocolVersion: c.protocolVersion,
      clean: true,
      keepalive: c.keepaliveSeconds,
      reconnectPeriod: 0,
      connectTimeout: 15_000,
      resubscribe: false,
      // [tck-id-message-flow-edge-node-birth-publish-will-message-qos], [...-will-retained]
      will: { topic: will.topic, payload: will.payload, qos: 1, retain: false },
    };
    if (c.protocolVersion === 5) options.properties = { sessionExpiryInterval: 0 };
    if (c.username) options.username = c.username;
    if (this.o.password !== undefined) options.password = this.o.password;
    if (c.tls) {
      options.rejectUnauthorized = c.tls.rejectUnauthorized;
      if (c.tls.ca) options.ca = readFileSync(c.tls.ca);
      if (c.tls.cert) options.cert = readFileSync(c.tls.cert);
      if (c.tls.key) options.key = readFileSync(c.tls.key);
    }
    return options;
  }
}

function describe(err: unknown): string {
  const code = (err as { code?: string | number }).code;
  const message = errorMessage(err);
  if (code === 'ECONNREFUSED') return `broker refused the connection (${message})`;
  if (code === 5 || /Not authorized/i.test(message)) return 'broker refused the credentials (not authorized)';
  return message;
}
