import type { Logger } from 'pino';
import { GatewayError } from '../../gateway/core/errors.js';
import type {
  DeviceTestContext,
  DeviceTrial,
  DiscoveredDevice,
  DiscoverOptions,
  Driver,
  DriverContext,
  DriverHealth,
  DriverMetric,
  DriverMetricFamily,
} from '../../gateway/devices/driver.js';
import { trialContext } from '../../gateway/devices/driver.js';
import { DeviceRunner, type DeviceStats } from './device/device-runner.js';
import { type DiscoveryReport, discoverWithReport, type WsDiscoveryOptions } from './discovery/ws-discovery-client.js';
import { EventRegistry } from './events/event-registry.js';
import { FileLedger, MemoryLedger, type SubscriptionLedger } from './events/subscription-ledger.js';
import type { OnvifDeviceConfig } from './schema.js';
import type { SecretRef } from '../../gateway/config/schema/common.js';
import { readSecret } from '../../gateway/config/secrets.js';

/** The ONVIF driver's metrics, in the order `health()` fills them. */
const ONVIF_METRICS: readonly DriverMetricFamily[] = [
  { name: 'gridgate_onvif_resubscribes_total', help: 'ONVIF pull-point subscriptions re-created after one was lost', type: 'counter' },
  {
    name: 'gridgate_onvif_subscriptions_lost_total',
    help: 'ONVIF subscriptions given up (dropped by the camera, expired during an outage, replaced)',
    type: 'counter',
  },
  { name: 'gridgate_onvif_subscription_resumes_total', help: 'ONVIF pull-points taken up again after an outage (their queue collected)', type: 'counter' },
  { name: 'gridgate_onvif_open_subscriptions', help: 'ONVIF pull-point subscriptions gridgate holds on the device now (at most 1)', type: 'gauge' },
  { name: 'gridgate_onvif_clock_offset_seconds', help: 'Camera clock minus gateway clock, seconds', type: 'gauge' },
];

export interface OnvifDriverOptions {
  /** The topic → event mapping; default config/onvif/event-registry.yaml. */
  registry?: EventRegistry;
  /** WS-Discovery settings (interfaces, unicast targets for other subnets). */
  discovery?: WsDiscoveryOptions;
  /** Resolves `password: { env } | { file }`; injected by tests and by the core once it owns secrets. */
  readSecret?: (ref: SecretRef) => string;
  /**
   * File remembering the pull-points held on each device, so a restart after a kill releases them
   * (default: in memory only). The composition root passes `<dataDir>/onvif-subscriptions.json`.
   */
  subscriptionFile?: string;
  /** Per-device stop deadline, ms. */
  stopDeadlineMs?: number;
}

/**
 * The ONVIF driver: one independent DeviceRunner per camera or NVR (see device/device-runner.ts).
 * Structurally a `Driver<OnvifDeviceConfig>` (gateway/devices/driver.ts).
 */
export class OnvifDriver implements Driver<OnvifDeviceConfig> {
  readonly name = 'onvif' as const;
  private ctx: DriverContext | undefined;
  private log: Logger | undefined;
  private registry: EventRegistry | undefined;
  private readonly runners = new Map<string, DeviceRunner>();
  private readonly unknownTopics = new Set<string>();
  private ledger: SubscriptionLedger = new MemoryLedger();
  private lastDiscovery: DiscoveryReport | undefined;

  constructor(private readonly options: OnvifDriverOptions = {}) {}

  async start(ctx: DriverContext): Promise<void> {
    this.ctx = ctx;
    this.log = ctx.log; // already bound to { driver: 'onvif' } by the device manager: binding it again duplicates the key in every line
    this.registry = this.options.registry ?? EventRegistry.load();
    if (this.options.subscriptionFile) this.ledger = new FileLedger(this.options.subscriptionFile, this.log);
  }

  async stop(signal: AbortSignal): Promise<void> {
    const deadline = this.options.stopDeadlineMs ?? 2000;
    // The gateway stops, the devices stay: with a ledger file, each pull-point in use is kept for
    // the next run to take up (with what the camera queued meanwhile); without one, released.
    const all = [...this.runners.values()].map((r) => r.stop(deadline, this.ledger.durable));
    this.runners.clear();
    if (signal.aborted) return;
    await Promise.race([Promise.allSettled(all), new Promise((r) => signal.addEventListener('abort', r, { once: true }))]);
  }

  async addDevice(device: OnvifDeviceConfig): Promise<void> {
    const ctx = this.requireStarted();
    if (this.runners.has(device.id)) await this.removeDevice(device.id);
    if (!device.enabled) return;
    let password: string;
    try {
      password = (this.options.readSecret ?? ((ref) => readSecret(ref, process.cwd())))(device.password);
    } catch (err) {
      ctx.status(device.id, { status: 'error', error: err instanceof Error ? err.message : String(err), meta: { reason: 'secret-unavailable' } });
      return;
    }
    const runner = new DeviceRunner(device, {
      ctx,
      registry: this.registry!,
      password,
      ledger: this.ledger,
      onUnknownTopic: (topic, id) => this.unknownTopic(topic, id),
    });
    this.runners.set(device.id, runner);
    runner.start();
  }

  async updateDevice(device: OnvifDeviceConfig): Promise<void> {
    await this.addDevice(device);
  }

  async removeDevice(deviceId: string): Promise<void> {
    const r = this.runners.get(deviceId);
    this.runners.delete(deviceId);
    await r?.stop(this.options.stopDeadlineMs ?? 2000);
  }

  async snapshot(deviceId: string, channel: number | undefined, signal?: AbortSignal): Promise<Buffer> {
    const r = this.runners.get(deviceId);
    if (!r) throw new GatewayError('E_UNKNOWN_DEVICE', `no ONVIF device ${deviceId} is configured`);
    return r.snapshot(channel, signal);
  }

  async discover(options: DiscoverOptions): Promise<DiscoveredDevice[]> {
    this.requireStarted();
    const { devices, report } = await discoverWithReport(this.options.discovery ?? {}, options.timeoutMs, this.log!, options.signal);
    this.lastDiscovery = report;
    return devices;
  }

  /** What the last discovery probed, on which interfaces, and what answered (for the UI when nothing did). */
  discoveryReport(): (DiscoveryReport & Record<string, unknown>) | undefined {
    return this.lastDiscovery as (DiscoveryReport & Record<string, unknown>) | undefined;
  }

  /** A snapshot of every device's state and subscription health. */
  stats(): DeviceStats[] {
    return [...this.runners.values()].map((r) => r.stats());
  }

  readonly metricFamilies: readonly DriverMetricFamily[] = ONVIF_METRICS;

  /** Subscription health per device for /api/status, and the ONVIF metrics for /metrics. */
  health(): DriverHealth {
    const devices: DriverHealth['devices'] = {};
    const metrics: DriverMetric[] = [];
    for (const s of this.stats()) {
      const sub = s.subscription;
      devices[s.device] = {
        status: s.status,
        ...(s.reason ? { reason: s.reason } : {}),
        clockOffsetMs: s.clockOffsetMs,
        events: s.events,
        snapshots: s.snapshots,
        snapshotsSkipped: s.snapshotsSkipped,
        ...(sub
          ? {
              subscription: {
                state: sub.state,
                open: sub.open,
                resubscribes: sub.resubscribes,
                lost: sub.lost,
                resumes: sub.resumes,
                renewals: sub.renewals,
                lastError: sub.lastError,
              },
            }
          : {}),
      };
      const values = [sub?.resubscribes ?? 0, sub?.lost ?? 0, sub?.resumes ?? 0, sub?.open ?? 0, s.clockOffsetMs / 1000];
      for (const [i, f] of ONVIF_METRICS.entries()) metrics.push({ ...f, labels: { device: s.device }, value: values[i]! });
    }
    return { devices, metrics };
  }

  /**
   * Test before save: the camera is opened by its own runner beside the saved ones (a slow camera
   * under test delays none of them), with the password resolved as the daemon resolves it, or the
   * one typed for the test. Its events are dropped, its pull-point is not kept in the ledger.
   */
  async testDevice(device: OnvifDeviceConfig, test: DeviceTestContext): Promise<DeviceTrial> {
    const ctx = this.requireStarted();
    const password = (test.readSecret ?? this.options.readSecret ?? ((ref) => readSecret(ref, process.cwd())))(device.password);
    const trialCtx = trialContext(ctx, ctx.log.child({ test: true }), test);
    const runner = new DeviceRunner(
      { ...device, enabled: true },
      { ctx: trialCtx, registry: this.registry!, password, ledger: new MemoryLedger(), onUnknownTopic: () => {} },
    );
    runner.start();
    return {
      snapshot: (channel, signal) => runner.snapshot(channel, signal),
      close: () => runner.stop(this.options.stopDeadlineMs ?? 2000),
    };
  }

  private unknownTopic(topic: string, device: string): void {
    if (this.unknownTopics.has(topic)) return;
    // Bounded: a camera inventing topics cannot grow this without limit.
    if (this.unknownTopics.size < 1000) this.unknownTopics.add(topic);
    this.log?.warn({ topic, device }, 'unmapped ONVIF topic; sent as vendor.* (add it to config/onvif/event-registry.yaml)');
  }

  private requireStarted(): DriverContext {
    if (!this.ctx) throw new GatewayError('E_DRIVER', 'the ONVIF driver was used before start()');
    return this.ctx;
  }
}
