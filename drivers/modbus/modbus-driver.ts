import type { Logger } from 'pino';
import type { DeviceTestContext, DeviceTrial, Driver, DriverContext, RawSample, RawValue } from '../../gateway/devices/driver.js';
import { trialContext } from '../../gateway/devices/driver.js';
import { DeviceLink } from './device-link.js';
import { DevicePoller } from './device-poller.js';
import { DeviceStats, type ModbusDeviceStats } from './device-stats.js';
import { ModbusError } from './modbus-errors.js';
import { type ModbusLink, ModbusSerialLink, linkKey } from './modbus-link.js';
import { RequestQueue } from './request-queue.js';
import { resolvePoint } from './resolved-point.js';
import type { ModbusConnection, ModbusDeviceConfig } from './schema.js';

export interface ModbusDriverOptions {
  /** Opens a connection; tests and benchmarks may swap it. Default: modbus-serial. */
  createLink?: (connection: ModbusConnection) => ModbusLink;
}

interface SharedLink {
  link: ModbusLink;
  /** The line's queue when it is a serial line (shared by all its devices). */
  lineQueue: RequestQueue | undefined;
  users: Set<string>;
}

interface DeviceEntry {
  poller: DevicePoller;
  stats: DeviceStats;
  key: string;
  /** The device's own queue on a TCP link. */
  queue: RequestQueue | undefined;
}

/**
 * The Modbus driver: TCP, RTU on a serial line, RTU through a serial server. Devices that name
 * the same connection share one link (several unit ids); a serial line carries one request at a
 * time for all its devices, a TCP device `maxInFlight` of its own. Reports raw values; the core
 * scales them.
 */
export class ModbusDriver implements Driver<ModbusDeviceConfig> {
  readonly name = 'modbus' as const;
  private ctx: DriverContext | undefined;
  private log: Logger | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly links = new Map<string, SharedLink>();
  private readonly devices = new Map<string, DeviceEntry>();
  private started = 0;
  private trials = 0;

  constructor(private readonly options: ModbusDriverOptions = {}) {}

  async start(ctx: DriverContext): Promise<void> {
    this.ctx = ctx;
    // The core's logger for this driver already carries `driver`: binding it again would print the key twice.
    this.log = ctx.log;
    this.unsubscribe = ctx.onModeChange((mode) => {
      for (const d of this.devices.values()) d.poller.setMode(mode);
    });
  }

  async stop(signal: AbortSignal): Promise<void> {
    this.unsubscribe?.();
    for (const id of [...this.devices.keys()]) {
      if (signal.aborted) break;
      await this.removeDevice(id);
    }
    for (const shared of this.links.values()) await shared.link.close();
    this.links.clear();
    this.devices.clear();
  }

  async addDevice(device: ModbusDeviceConfig): Promise<void> {
    const ctx = this.ctx;
    if (!ctx || !this.log) throw new ModbusError('E_MODBUS_STOPPED', 'the modbus driver is not started');
    if (this.devices.has(device.id)) await this.removeDevice(device.id);
    if (!device.enabled) return;
    const key = linkKey(device.connection);
    let shared = this.links.get(key);
    if (!shared) {
      const link = this.options.createLink?.(device.connection) ?? new ModbusSerialLink(device.connection);
      shared = { link, lineQueue: link.serialLine ? new RequestQueue(1) : undefined, users: new Set() };
      this.links.set(key, shared);
    }
    shared.users.add(device.id);
    const queue = shared.lineQueue ? undefined : new RequestQueue(device.maxInFlight);
    const stats = new DeviceStats();
    const log = this.log.child({ device: device.id });
    const deviceLink = new DeviceLink(shared.link, shared.lineQueue ?? queue!, device.unitId, device.timeoutMs, device.retries, stats);
    const poller = new DevicePoller(device, device.points.map(resolvePoint), deviceLink, ctx, log, stats);
    this.devices.set(device.id, { poller, stats, key, queue });
    // Staggered start: devices spread over the phase slots of their interval so a hundred of them
    // do not all ask at once (the golden ratio fills the slots evenly whatever the count).
    poller.start((this.started++ * 0.618_034) % 1);
  }

  async updateDevice(device: ModbusDeviceConfig): Promise<void> {
    await this.addDevice(device);
  }

  async removeDevice(deviceId: string): Promise<void> {
    const entry = this.devices.get(deviceId);
    if (!entry) return;
    this.devices.delete(deviceId);
    entry.poller.stop();
    entry.queue?.close();
    const shared = this.links.get(entry.key);
    if (!shared) return;
    shared.users.delete(deviceId);
    if (shared.users.size === 0) {
      this.links.delete(entry.key);
      shared.lineQueue?.close();
      await shared.link.close();
    }
  }

  async read(deviceId: string, point: string): Promise<RawSample> {
    return this.entry(deviceId).poller.read(point);
  }

  async write(deviceId: string, point: string, raw: RawValue): Promise<void> {
    await this.entry(deviceId).poller.write(point, raw);
  }

  /** Counters of one device (requests, errors by kind, round trip, points per request). */
  stats(deviceId: string): ModbusDeviceStats {
    return this.entry(deviceId).stats.snapshot();
  }

  /** The read plan of one device, per poll group (what the block planner made of its points). */
  plan(deviceId: string) {
    return this.entry(deviceId).poller.plan();
  }

  /**
   * Test before save: the device is polled on the link its connection names, through the line's
   * shared request queue when a serial line is already open (the test's requests wait their turn
   * with the polls; the port is never opened a second time). A link opened only for the test is
   * closed with it. Values and status go to the test, not to the core.
   */
  async testDevice(device: ModbusDeviceConfig, test: DeviceTestContext): Promise<DeviceTrial> {
    const ctx = this.ctx;
    if (!ctx || !this.log) throw new ModbusError('E_MODBUS_STOPPED', 'the modbus driver is not started');
    const key = linkKey(device.connection);
    let shared = this.links.get(key);
    if (!shared) {
      const link = this.options.createLink?.(device.connection) ?? new ModbusSerialLink(device.connection);
      shared = { link, lineQueue: link.serialLine ? new RequestQueue(1) : undefined, users: new Set() };
      this.links.set(key, shared);
    }
    const user = `test:${++this.trials}:${device.id}`;
    shared.users.add(user);
    const queue = shared.lineQueue ? undefined : new RequestQueue(device.maxInFlight);
    const log = this.log.child({ device: device.id, test: true });
    const trialCtx = trialContext(ctx, log, test);
    const stats = new DeviceStats();
    const deviceLink = new DeviceLink(shared.link, shared.lineQueue ?? queue!, device.unitId, device.timeoutMs, device.retries, stats);
    const poller = new DevicePoller(device, device.points.map(resolvePoint), deviceLink, trialCtx, log, stats);
    poller.start(0);
    const held = shared;
    return {
      read: (point) => poller.read(point),
      close: async () => {
        poller.stop();
        queue?.close();
        held.users.delete(user);
        if (held.users.size === 0 && this.links.get(key) === held) {
          this.links.delete(key);
          held.lineQueue?.close();
          await held.link.close();
        }
      },
    };
  }

  private entry(deviceId: string): DeviceEntry {
    const e = this.devices.get(deviceId);
    if (!e) throw new ModbusError('E_MODBUS_UNKNOWN_DEVICE', `no modbus device "${deviceId}"`);
    return e;
  }
}
