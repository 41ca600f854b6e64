import type { Logger } from 'pino';
import type { BatchingConfig, PlatformConfig } from '../config/schema/gateway-config.js';
import { type Clock, formatTime } from '../core/clock.js';
import type { DeviceState, Mode } from '../core/model.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { CommandDispatcher } from '../commands/command-dispatcher.js';
import type { Outbox } from '../outbox/outbox.js';
import { DeviceStatePublisher } from './device-state-publisher.js';
import { LanePump } from './lane-pump.js';
import { PlatformConnection } from './platform-connection.js';
import { ContractTopics } from './topics.js';

export interface UplinkOptions {
  gateway: string;
  site: string;
  version: string;
  startedAt: number;
  platform: PlatformConfig;
  password?: string;
  outbox: Outbox;
  commands: CommandDispatcher;
  batching: () => BatchingConfig;
  mode: () => Mode;
  devices: () => DeviceState[];
  metrics: GatewayMetrics;
  clock: Clock;
  log: Logger;
}

/**
 * The gateway's side of the platform contract: retained `state` (with the last will), retained
 * device states, the two outbox lanes, and commands with their results.
 */
export class Uplink {
  readonly topics: ContractTopics;
  private readonly connection: PlatformConnection;
  private readonly pump: LanePump;
  private readonly deviceStates: DeviceStatePublisher;
  private stateTimer: NodeJS.Timeout | undefined;
  /** Set by stop(): a connection that completes afterwards publishes nothing (the outbox may be closed). */
  private stopped = false;

  constructor(private readonly o: UplinkOptions) {
    this.topics = new ContractTopics(o.platform.prefix, o.site, o.gateway);
    this.connection = new PlatformConnection({
      config: o.platform,
      clientId: o.gateway,
      password: o.password,
      will: () => ({ topic: this.topics.state, payload: this.stateMessage(false) }),
      log: o.log,
      now: () => o.clock.now(),
    });
    this.deviceStates = new DeviceStatePublisher({
      publish: (device, payload) => this.connection.publish(this.topics.deviceState(device), payload, { retain: true }),
      connected: () => this.connection.state.connected,
    });
    this.pump = new LanePump({
      outbox: o.outbox,
      connection: this.connection,
      topics: this.topics,
      gateway: o.gateway,
      site: o.site,
      batching: o.batching,
      windows: o.platform.inflight,
      metrics: o.metrics,
      clock: o.clock,
      log: o.log,
    });
  }

  start(): void {
    this.stopped = false;
    this.pump.start();
    this.connection.start({
      up: (generation) => void this.onConnected(generation),
      down: () => {
        this.pump.disconnected();
        this.deviceStates.disconnected();
        this.o.metrics.uplinkConnected.set(0);
      },
      message: (topic, payload) => void this.onMessage(topic, payload),
    });
    this.stateTimer = setInterval(() => this.publishState(), this.o.platform.stateIntervalMs);
    this.stateTimer.unref();
  }

  async stop(timeoutMs = 2000): Promise<void> {
    clearInterval(this.stateTimer);
    // Drained first (half the deadline at most), so a stop sends the last batch window.
    await this.pump.drain(timeoutMs / 2);
    this.stopped = true;
    this.pump.stop();
    await this.connection.stop({ topic: this.topics.state, payload: this.stateMessage(false) }, timeoutMs);
  }

  get status() {
    return this.connection.state;
  }

  /** Readings and events the broker acknowledged since start. */
  get delivered(): number {
    return this.pump.delivered;
  }

  /** A device's state changed: publish it (retained) now, or on the next connect; once per change. */
  deviceState(state: DeviceState): void {
    this.deviceStates.update(state);
  }

  /** A device left the configuration: its retained state is cleared (empty retained message). */
  deviceRemoved(device: string): void {
    this.deviceStates.remove(device);
  }

  /** Device-state messages handed to the connection since start. */
  get deviceStatesPublished(): number {
    return this.deviceStates.published;
  }

  /** Re-publishes `state` and every device state; returns the number of devices. */
  resync(): number {
    const devices = this.o.devices();
    this.publishState();
    this.deviceStates.republish(devices);
    return devices.length;
  }

  /** Publishes the retained gateway state (mode, counts, backlog). */
  publishState(): void {
    if (this.stopped || !this.connection.state.connected) return;
    this.connection.publish(this.topics.state, this.stateMessage(true), { retain: true }).catch(() => {});
  }

  private async onConnected(generation: number): Promise<void> {
    this.o.metrics.uplinkConnected.set(1);
    this.o.metrics.uplinkConnects.inc();
    try {
      await this.connection.subscribe(this.topics.commandFilter);
    } catch (err) {
      this.o.log.error({ err, filter: this.topics.commandFilter }, 'command subscription failed');
    }
    // A connection that came up while the gateway stops: the outbox may already be closed.
    if (this.stopped || generation !== this.connection.currentGeneration) return;
    this.publishState();
    // Every device once per connection: the broker may have lost retained states, and the
    // platform treats device states as stale while the gateway was offline (contract README).
    this.deviceStates.republish(this.o.devices());
    this.pump.connected(generation);
  }

  private async onMessage(topic: string, payload: Buffer): Promise<void> {
    const name = this.topics.commandName(topic);
    if (!name) return;
    const result = await this.o.commands.handle(name, payload);
    try {
      await this.connection.publish(this.topics.commandResult(name), result);
    } catch (err) {
      // The result is remembered: the platform's retry with the same id gets it.
      this.o.log.warn({ err, command: name }, 'command result not delivered');
    }
  }

  private stateMessage(online: boolean): string {
    const now = this.o.clock.now();
    const base = { schema: 'gridgate.state/1', gateway: this.o.gateway, site: this.o.site, online, ts: formatTime(now), version: this.o.version };
    if (!online) return JSON.stringify(base);
    const devices = this.o.devices();
    const stats = this.o.outbox.stats();
    const outbox: Record<string, unknown> = { events: stats.events.count, telemetry: stats.telemetry.count };
    const oldest = Math.min(stats.events.oldestMs ?? Number.POSITIVE_INFINITY, stats.telemetry.oldestMs ?? Number.POSITIVE_INFINITY);
    if (Number.isFinite(oldest)) outbox.oldest = formatTime(oldest);
    return JSON.stringify({
      ...base,
      mode: this.o.mode(),
      startedAt: formatTime(this.o.startedAt),
      devices: { total: devices.length, online: devices.filter((d) => d.status === 'online').length },
      outbox,
    });
  }
}
