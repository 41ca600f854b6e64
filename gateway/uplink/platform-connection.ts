import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { PlatformConfig } from '../config/schema/gateway-config.js';
import { errorMessage } from '../core/errors.js';
import { fillMqttLengthCache } from '../core/mqtt-length-cache.js';
import { Backoff } from './backoff.js';

export interface ConnectionStatus {
  connected: boolean;
  /** Since when connected, or since when disconnected (ms since epoch). */
  since: number;
  lastError?: string;
  connects: number;
}

export interface PlatformConnectionOptions {
  config: PlatformConfig;
  clientId: string;
  password?: string;
  /**
   * The last will, built at each attempt: v1, the `state` message with online=false (retained);
   * Sparkplug, the NDEATH whose bdSeq moves on with every CONNECT.
   */
  will: () => { topic: string; payload: string | Uint8Array };
  /**
   * The profile's session rules. v1 contract (the default): a persistent session, so commands
   * sent while we are offline are kept, and a retained will. Sparkplug: a clean session
   * ([tck-id-principles-persistence-clean-session-311]: commands are not queued across sessions,
   * a new birth follows every connect) and a will with retain false
   * ([tck-id-payloads-ndeath-will-message-retain]).
   */
  session?: { clean: boolean; willRetain: boolean };
  /** Names the connection in its log lines (`platform` by default, `sparkplug`). */
  name?: string;
  log: Logger;
  now: () => number;
}

/** How a message goes out: QoS 1 (default, settles on PUBACK) or 0 (settles once written); retain false by default. */
export interface PublishOptions {
  qos?: 0 | 1;
  retain?: boolean;
}

const CONTRACT_SESSION = { clean: false, willRetain: true };

/**
 * One MQTT connection to the platform broker, re-made with backoff and jitter when it drops;
 * both upstream profiles (the v1 contract and Sparkplug B) use it with their own session rules.
 *
 * Each attempt uses a fresh mqtt.js client on purpose: `client.reconnect()` replaces its
 * in-memory outgoing store, so the callbacks of messages in flight would never fire and their
 * message ids could be reused. The outbox is the truth instead: after a reconnect the uplink
 * re-sends everything not yet acknowledged (at most the in-flight windows are duplicated).
 */
export class PlatformConnection {
  private client: MqttClient | undefined;
  private generation = 0;
  private readonly backoff: Backoff;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly status: ConnectionStatus;
  private readonly name: string;
  private readonly session: { clean: boolean; willRetain: boolean };
  private dropFn: ((reason: string, graceful: boolean) => void) | undefined;
  private onUp: (generation: number, sessionPresent: boolean) => void = () => {};
  private onDown: (reason: string) => void = () => {};
  private onMessage: (topic: string, payload: Buffer) => void = () => {};

  constructor(private readonly options: PlatformConnectionOptions) {
    this.backoff = new Backoff(options.config.reconnect.minDelayMs, options.config.reconnect.maxDelayMs);
    this.status = { connected: false, since: options.now(), connects: 0 };
    this.name = options.name ?? 'platform';
    this.session = options.session ?? CONTRACT_SESSION;
  }

  /** Registers the handlers and makes the first attempt. */
  start(handlers: {
    up: (generation: number, sessionPresent: boolean) => void;
    down: (reason: string) => void;
    message: (topic: string, payload: Buffer) => void;
  }): void {
    this.onUp = handlers.up;
    this.onDown = handlers.down;
    this.onMessage = handlers.message;
    this.attempt();
  }

  get state(): Readonly<ConnectionStatus> {
    return this.status;
  }

  get currentGeneration(): number {
    return this.generation;
  }

  /**
   * Publishes at QoS 1 (resolves on PUBACK) or QoS 0 (resolves once written to the socket).
   * Rejects if the connection it was sent on is gone.
   */
  publish(topic: string, payload: string | Uint8Array, options: PublishOptions = {}): Promise<void> {
    const client = this.client;
    if (!client || !this.status.connected) return Promise.reject(new Error('not connected'));
    const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    return new Promise((resolve, reject) => {
      client.publish(topic, body, { qos: options.qos ?? 1, retain: options.retain ?? false }, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Subscribes at QoS 1 ([tck-id-message-flow-edge-node-ncmd-subscribe] for Sparkplug); rejects if the broker refuses a filter. */
  subscribe(filters: string | string[]): Promise<void> {
    const client = this.client;
    if (!client) return Promise.reject(new Error('not connected'));
    return new Promise((resolve, reject) => {
      client.subscribe(filters, { qos: 1 }, (err, granted) => {
        if (err) reject(err);
        else if (granted?.some((g) => g.qos === 128)) reject(new Error(`broker refused the subscription to ${[filters].flat().join(', ')}`));
        else resolve();
      });
    });
  }

  /**
   * Ends this connection with a DISCONNECT, so the broker drops the will (the caller published
   * its own, e.g. Sparkplug's NDEATH when the primary host goes offline), and connects again
   * after a backoff.
   */
  drop(reason: string): void {
    this.dropFn?.(reason, true);
  }

  /**
   * Publishes `final` (v1: the offline state, retained; Sparkplug: the NDEATH) if connected,
   * then closes within `timeoutMs`.
   */
  async stop(final?: { topic: string; payload: string | Uint8Array; retain?: boolean }, timeoutMs = 2000): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    if (!client) return;
    if (final && this.status.connected) {
      const retain = final.retain ?? this.session.willRetain;
      await Promise.race([this.publish(final.topic, final.payload, { qos: 1, retain }).catch(() => {}), sleep(timeoutMs)]);
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
    // Before the first packet is written: mqtt-packet's length cache would pin 8 KiB slabs.
    fillMqttLengthCache();
    const client = mqtt.connect(this.options.config.url, this.clientOptions());
    this.client = client;
    let failed = false;
    const fail = (reason: string, graceful = false) => {
      if (failed || generation !== this.generation) return;
      failed = true;
      client.removeAllListeners();
      client.on('error', () => {});
      // Graceful (drop()): a DISCONNECT, so the broker drops the will; otherwise the socket is cut.
      client.end(!graceful);
      const wasConnected = this.status.connected;
      this.status.connected = false;
      this.status.since = this.options.now();
      this.status.lastError = reason;
      if (wasConnected) this.onDown(reason);
      if (this.stopped) return;
      const delay = this.backoff.next();
      this.options.log.warn(
        { reason, retryInMs: delay, attempt: this.backoff.attempts },
        wasConnected ? `${this.name} connection lost` : `${this.name} connection failed`,
      );
      this.retryTimer = setTimeout(() => this.attempt(), delay);
    };
    this.dropFn = fail;
    client.on('connect', (connack) => {
      if (generation !== this.generation) return;
      this.backoff.reset();
      this.status.connected = true;
      this.status.since = this.options.now();
      this.status.connects++;
      this.options.log.info({ url: this.options.config.url, sessionPresent: connack.sessionPresent }, `${this.name} connected`);
      this.onUp(generation, connack.sessionPresent);
    });
    client.on('message', (topic, payload) => {
      if (generation !== this.generation) return;
      try {
        this.onMessage(topic, payload);
      } catch (err) {
        // Whatever a message from the broker does, it must not take the connection (or the process) down.
        this.options.log.error({ err, topic }, `${this.name} message handling failed`);
      }
    });
    client.on('error', (err) => fail(describeMqttError(err)));
    client.on('close', () => fail(this.status.lastError && !this.status.connected ? this.status.lastError : 'connection closed'));
    client.on('offline', () => fail('connection closed'));
  }

  private clientOptions(): IClientOptions {
    const c = this.options.config;
    const will = this.options.will();
    const { clean, willRetain } = this.session;
    const options: IClientOptions = {
      clientId: this.options.clientId,
      protocolVersion: c.protocolVersion,
      clean,
      keepalive: c.keepaliveSeconds,
      reconnectPeriod: 0,
      connectTimeout: 15_000,
      resubscribe: false,
      // QoS 1 for both profiles ([tck-id-message-flow-edge-node-birth-publish-will-message-qos]).
      will: { topic: will.topic, payload: Buffer.from(will.payload), qos: 1, retain: willRetain },
      // No cache of packet-id buffers: with it mqtt-packet keeps 65,536 two-byte Buffers for ever
      // (6 MB of heap, 65k objects every major GC marks); a packet id costs one small allocation.
      // The setting is global to mqtt-packet, so the embedded broker (aedes) does without it too.
      writeCache: false,
    };
    if (c.protocolVersion === 5) options.properties = { sessionExpiryInterval: clean ? 0 : c.sessionExpirySeconds };
    if (c.username) options.username = c.username;
    if (this.options.password !== undefined) options.password = this.options.password;
    if (c.tls) {
      options.rejectUnauthorized = c.tls.rejectUnauthorized;
      if (c.tls.ca) options.ca = readFileSync(c.tls.ca);
      if (c.tls.cert) options.cert = readFileSync(c.tls.cert);
      if (c.tls.key) options.key = readFileSync(c.tls.key);
    }
    return options;
  }
}

function describeMqttError(err: unknown): string {
  const code = (err as { code?: string | number }).code;
  const message = errorMessage(err);
  if (code === 'ECONNREFUSED') return `broker refused the connection (${message})`;
  if (code === 'ENOTFOUND') return `broker host not found (${message})`;
  // A broker that stops, or a link that drops, resets the socket: say so in words, keep the code.
  if (code === 'ECONNRESET' || code === 'EPIPE') return `connection reset by the broker or the network (${message})`;
  if (code === 5 || /Not authorized/i.test(message)) return 'broker refused the credentials (not authorized)';
  if (code === 4 || /Bad username or password/i.test(message)) return 'broker refused the credentials (bad username or password)';
  return message;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
