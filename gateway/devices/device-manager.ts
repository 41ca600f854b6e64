import type { Logger } from 'pino';
import type { TypedBus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import { formatTime } from '../core/clock.js';
import { errorMessage, GatewayError } from '../core/errors.js';
import type { DeviceState, Mode, ReadingValue } from '../core/model.js';
import type { GatewayBusEvents } from '../pipeline/bus-events.js';
import { toRawValue } from '../pipeline/normalizer.js';
import type {
  CounterStateStore,
  DeviceConfigBase,
  DeviceStatusUpdate,
  DeviceTestContext,
  DeviceTrial,
  Driver,
  DriverContext,
  DriverEvent,
  IngestRejectReason,
  RawSample,
} from './driver.js';

interface ManagedDevice {
  config: DeviceConfigBase;
  state: DeviceState;
  /** Went offline after having been online: its recovery is announced with device.online. */
  wentDown?: boolean;
}

export interface DeviceManagerOptions {
  drivers: ReadonlyMap<string, Driver>;
  bus: TypedBus<GatewayBusEvents>;
  clock: Clock;
  log: Logger;
  mode: () => Mode;
  onModeChange: (listener: (mode: Mode) => void) => () => void;
  /** Where refused input is counted (metrics, status). */
  rejected?: (deviceId: string, reason: IngestRejectReason) => void;
  /** Durable counter state for the drivers. */
  counters?: CounterStateStore;
  /** When what was handed in so far is durable (the outbox's group commit); see DriverContext.committed. */
  committed?: () => Promise<void>;
  /** The overload policy's poll interval factor per device (DriverContext.pollStretch). */
  pollStretch?: (deviceId: string) => number;
  /** The held-events journal for events a driver hands in after their picture (DriverContext.hold). */
  hold?: (event: DriverEvent) => number;
}

/**
 * Owns the devices: hands each to its driver, keeps its true state (status, reason, last seen),
 * and turns status transitions into device state and device.offline / device.online events.
 * A driver that throws affects only the device it was working on.
 */
export class DeviceManager {
  private readonly devices = new Map<string, ManagedDevice>();
  private readonly started = new Set<string>();

  constructor(private readonly o: DeviceManagerOptions) {}

  /** Starts the drivers the devices need, then adds every device. */
  async start(devices: readonly DeviceConfigBase[]): Promise<void> {
    for (const d of devices) {
      this.devices.set(d.id, { config: d, state: this.initialState(d) });
      this.o.bus.emit('device-configured', d);
    }
    for (const name of new Set(devices.map((d) => d.driver))) await this.startDriver(name);
    await Promise.all(devices.filter((d) => d.enabled).map((d) => this.addToDriver(d)));
    for (const d of this.devices.values()) this.o.bus.emit('device-state', d.state);
  }

  /**
   * Moves to a new device list: new devices are added, removed ones taken from their driver (and
   * published as disabled), changed ones updated. Devices whose configuration is unchanged are
   * not touched. Returns the ids that changed.
   */
  async apply(next: readonly DeviceConfigBase[]): Promise<{ added: string[]; updated: string[]; removed: string[] }> {
    const result = { added: [] as string[], updated: [] as string[], removed: [] as string[] };
    const nextIds = new Set(next.map((d) => d.id));
    for (const [id, device] of [...this.devices]) {
      if (nextIds.has(id)) continue;
      await this.o.drivers.get(device.config.driver)?.removeDevice(id);
      this.devices.delete(id);
      result.removed.push(id);
      this.o.bus.emit('device-removed', { device: id });
    }
    for (const d of next) {
      const current = this.devices.get(d.id);
      if (current && JSON.stringify(current.config) === JSON.stringify(d)) continue;
      if (!this.started.has(d.driver)) await this.startDriver(d.driver);
      const driver = this.o.drivers.get(d.driver);
      this.o.bus.emit('device-configured', d);
      if (!current) {
        const added: ManagedDevice = { config: d, state: this.initialState(d) };
        this.devices.set(d.id, added);
        // Its first state before the driver runs: what the driver reports next is a change, and
        // publishing the state again afterwards would repeat it (same status, a newer lastSeen).
        this.o.bus.emit('device-state', added.state);
        if (d.enabled) await this.addToDriver(d);
        result.added.push(d.id);
        continue;
      } else {
        const wasEnabled = current.config.enabled;
        const oldDriver = current.config.driver;
        const movedDriver = oldDriver !== d.driver;
        current.config = d;
        if (wasEnabled && (movedDriver || !d.enabled)) await this.o.drivers.get(oldDriver)?.removeDevice(d.id);
        if (!d.enabled) this.setDisabled(current);
        else if (!wasEnabled || movedDriver) await this.addToDriver(d);
        else await driver?.updateDevice(d);
        result.updated.push(d.id);
      }
      const state = this.devices.get(d.id)?.state;
      if (state) this.o.bus.emit('device-state', state);
    }
    return result;
  }

  async stop(signal: AbortSignal): Promise<void> {
    await Promise.all(
      [...this.started].map(async (name) => {
        try {
          await this.o.drivers.get(name)?.stop(signal);
        } catch (err) {
          this.o.log.error({ err, driver: name }, 'driver failed to stop');
        }
      }),
    );
  }

  states(): DeviceState[] {
    return [...this.devices.values()].map((d) => d.state);
  }

  config(deviceId: string): DeviceConfigBase | undefined {
    return this.devices.get(deviceId)?.config;
  }

  /** Writes an engineering value to a point: checks limits, converts to raw, lets the driver write. */
  async writePoint(deviceId: string, pointName: string, value: ReadingValue): Promise<void> {
    const device = this.requireDevice(deviceId);
    const point = device.config.points.find((p) => p.name === pointName);
    if (!point) throw new GatewayError('E_UNKNOWN_POINT', `device ${deviceId} has no point "${pointName}"`);
    if (!point.writable) throw new GatewayError('E_NOT_WRITABLE', `point ${deviceId}/${pointName} is not writable`);
    const driver = this.o.drivers.get(device.config.driver);
    if (!driver?.write) throw new GatewayError('E_UNSUPPORTED', `driver ${device.config.driver} cannot write`);
    if (device.state.status !== 'online')
      throw new GatewayError('E_DEVICE_OFFLINE', `device ${deviceId} is ${device.state.status}${device.state.error ? `: ${device.state.error}` : ''}`);
    let raw: ReadingValue = value;
    if (typeof value === 'number') {
      const { min, max } = point.writable;
      if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
        throw new GatewayError('E_NOT_WRITABLE', `value ${value} for ${deviceId}/${pointName} is outside ${min ?? '-∞'}..${max ?? '∞'}`);
      }
      raw = toRawValue(point, value);
    }
    await driver.write(deviceId, pointName, raw);
  }

  /** Devices that can take the picture for an event: its own device if it can, then the zone's cameras. */
  camerasFor(source: { device?: string; zone?: string }): string[] {
    const out: string[] = [];
    const canSnap = (d: ManagedDevice) => Boolean(this.o.drivers.get(d.config.driver)?.snapshot) && d.state.status === 'online';
    const own = source.device ? this.devices.get(source.device) : undefined;
    if (own && canSnap(own)) out.push(own.config.id);
    if (source.zone) {
      for (const d of this.devices.values()) {
        if (d.config.zone === source.zone && (d.config.kind === 'camera' || d.config.kind === 'nvr') && canSnap(d) && !out.includes(d.config.id))
          out.push(d.config.id);
      }
    }
    return out;
  }

  /** One on-demand read through the device's driver. */
  async read(deviceId: string, point: string): Promise<RawSample> {
    const device = this.requireDevice(deviceId);
    const driver = this.o.drivers.get(device.config.driver);
    if (!driver?.read) throw new GatewayError('E_UNSUPPORTED', `driver ${device.config.driver} cannot read on demand`);
    if (!device.config.points.some((p) => p.name === point)) throw new GatewayError('E_UNKNOWN_POINT', `device ${deviceId} has no point "${point}"`);
    return driver.read(deviceId, point);
  }

  /** A JPEG from a device that can take one. */
  async snapshot(deviceId: string, channel: number | undefined): Promise<Buffer> {
    const device = this.requireDevice(deviceId);
    const driver = this.o.drivers.get(device.config.driver);
    if (!driver?.snapshot) throw new GatewayError('E_UNSUPPORTED', `device ${deviceId} (${device.config.driver}) cannot take snapshots`);
    return driver.snapshot(deviceId, channel);
  }

  /**
   * Test before save through the running driver (Driver.testDevice): its serial lines, its broker,
   * its secret resolution. A driver no saved device uses yet is started first (as a save would).
   * Undefined when the driver has no such entry point.
   */
  async testDevice(config: DeviceConfigBase, test: DeviceTestContext): Promise<DeviceTrial | undefined> {
    const driver = this.o.drivers.get(config.driver);
    if (!driver?.testDevice) return undefined;
    if (!this.started.has(config.driver)) await this.startDriver(config.driver);
    if (!this.started.has(config.driver)) throw new GatewayError('E_DRIVER', `driver ${config.driver} failed to start (see the log)`);
    return driver.testDevice(config, test);
  }

  private requireDevice(deviceId: string): ManagedDevice {
    const device = this.devices.get(deviceId);
    if (!device) throw new GatewayError('E_UNKNOWN_DEVICE', `no device "${deviceId}" is configured`);
    return device;
  }

  private async startDriver(name: string): Promise<void> {
    const driver = this.o.drivers.get(name);
    if (!driver) {
      for (const d of this.devices.values()) {
        if (d.config.driver === name) this.setStatus(d, { status: 'error', error: `driver ${name} is not available in this build` });
      }
      return;
    }
    try {
      await driver.start(this.contextFor(name));
      this.started.add(name);
    } catch (err) {
      this.o.log.error({ err, driver: name }, 'driver failed to start');
      for (const d of this.devices.values()) {
        if (d.config.driver === name) this.setStatus(d, { status: 'error', error: `driver ${name} failed to start: ${errorMessage(err)}` });
      }
    }
  }

  private async addToDriver(config: DeviceConfigBase): Promise<void> {
    const driver = this.o.drivers.get(config.driver);
    if (!driver || !this.started.has(config.driver)) return;
    try {
      await driver.addDevice(config);
    } catch (err) {
      this.o.log.error({ err, device: config.id }, 'driver refused the device');
      const device = this.devices.get(config.id);
      if (device) this.setStatus(device, { status: 'error', error: errorMessage(err) });
    }
  }

  private contextFor(driverName: string): DriverContext {
    const log = this.o.log.child({ driver: driverName });
    return {
      log,
      clock: this.o.clock,
      samples: (batch: RawSample[]) => {
        // One time string per batch (not one per sample): a poll's samples share their device.
        let seen: string | undefined;
        let last: ManagedDevice | undefined;
        for (const s of batch) {
          if (s.quality === 'bad') continue;
          const d = last?.config.id === s.device ? last : this.devices.get(s.device);
          if (!d) continue;
          last = d;
          seen ??= formatTime(this.o.clock.now());
          d.state.lastSeen = seen;
        }
        this.o.bus.emit('samples', batch);
      },
      event: (event) => this.o.bus.emit('driver-event', event),
      committed: () => this.o.committed?.() ?? Promise.resolve(),
      hold: (event: DriverEvent) => this.o.hold?.(event),
      pollStretch: (deviceId: string) => this.o.pollStretch?.(deviceId) ?? 1,
      status: (deviceId: string, update: DeviceStatusUpdate) => {
        const d = this.devices.get(deviceId);
        if (d) this.setStatus(d, update);
        else log.warn({ device: deviceId }, 'status for an unknown device ignored');
      },
      mode: this.o.mode,
      onModeChange: this.o.onModeChange,
      rejected: this.o.rejected,
      counters: this.o.counters,
    };
  }

  private setStatus(device: ManagedDevice, update: DeviceStatusUpdate): void {
    const before = device.state;
    const now = this.o.clock.now();
    const meta = mergeMeta(before.meta, update);
    const error = update.status !== 'online' && update.error ? update.error.slice(0, 500) : undefined;
    const changed = before.status !== update.status || before.error !== error;
    const metaChanged = JSON.stringify(meta) !== JSON.stringify(before.meta);
    if (!changed && !metaChanged) {
      // Nothing to tell: no new state, no message (a device state is published once per change).
      if (update.status === 'online') before.lastSeen = formatTime(now);
      return;
    }
    const state: DeviceState = { device: before.device, kind: before.kind, status: update.status, ts: formatTime(now) };
    const lastSeen = update.status === 'online' ? formatTime(now) : before.lastSeen;
    if (lastSeen) state.lastSeen = lastSeen;
    if (error) state.error = error;
    if (meta) state.meta = meta;
    device.state = state;
    if (changed) {
      this.o.log.info({ device: state.device, status: state.status, error: state.error }, 'device status changed');
      this.emitTransitionEvent(device, before.status, state);
    }
    this.o.bus.emit('device-state', state);
  }

  /** offline/error after online → device.offline (active); back online → device.online (cleared, same key). */
  private emitTransitionEvent(device: ManagedDevice, previous: DeviceState['status'], state: DeviceState): void {
    const key = `device:${state.device}:offline`;
    const base = { device: state.device, zone: device.config.zone, key };
    const wasUp = previous === 'online';
    const isUp = state.status === 'online';
    if (wasUp && !isUp) {
      this.o.bus.emit('driver-event', {
        ...base,
        type: 'device.offline',
        state: 'active',
        severity: 'major',
        message: `${state.device} is ${state.status === 'error' ? 'in error' : state.status}: ${state.error ?? 'no reason given'}`,
      });
    } else if (!wasUp && isUp && device.wentDown) {
      this.o.bus.emit('driver-event', { ...base, type: 'device.online', state: 'cleared', severity: 'info', message: `${state.device} is online again` });
    }
    if (wasUp && !isUp) device.wentDown = true;
    if (isUp) device.wentDown = false;
  }

  private setDisabled(device: ManagedDevice): void {
    device.state = { device: device.config.id, kind: device.config.kind, status: 'disabled', ts: formatTime(this.o.clock.now()) };
  }

  private initialState(d: DeviceConfigBase): DeviceState {
    const state: DeviceState = { device: d.id, kind: d.kind, status: d.enabled ? 'offline' : 'disabled', ts: formatTime(this.o.clock.now()) };
    if (d.enabled) state.error = 'not yet connected';
    return state;
  }
}

/**
 * The device's meta after an update: the update's keys merged in, keys it sets to null removed,
 * and, when the device is online, no `reason` left from an earlier offline state (unless the
 * update gives one): a device back online must not keep saying why it was down.
 */
function mergeMeta(before: Record<string, unknown> | undefined, update: DeviceStatusUpdate): Record<string, unknown> | undefined {
  if (!update.meta && !(update.status === 'online' && before && 'reason' in before)) return before;
  const meta: Record<string, unknown> = { ...before };
  if (update.status === 'online') delete meta.reason;
  for (const [k, v] of Object.entries(update.meta ?? {})) {
    if (v === null || v === undefined) delete meta[k];
    else meta[k] = v;
  }
  return Object.keys(meta).length > 0 ? meta : undefined;
}
