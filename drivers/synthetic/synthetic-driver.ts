import type { Driver, DriverContext, RawSample } from '../../gateway/devices/driver.js';
import type { SyntheticDeviceConfig } from './schema.js';
import { waveValue } from './waveforms.js';

interface RunningDevice {
  config: SyntheticDeviceConfig;
  timers: NodeJS.Timeout[];
  samples: number;
  pointState: Map<string, { value?: number }>;
  eventActive: Map<number, boolean>;
}

/**
 * A driver without hardware: waveforms for points and scripted events, so the core, the demo
 * and the tests run with no protocol driver. It goes through the same contract as a real one.
 */
export class SyntheticDriver implements Driver<SyntheticDeviceConfig> {
  readonly name = 'synthetic' as const;
  private ctx: DriverContext | undefined;
  private readonly devices = new Map<string, RunningDevice>();

  constructor(private readonly random: () => number = Math.random) {}

  async start(ctx: DriverContext): Promise<void> {
    this.ctx = ctx;
  }

  async stop(): Promise<void> {
    for (const id of [...this.devices.keys()]) await this.removeDevice(id);
  }

  async addDevice(config: SyntheticDeviceConfig): Promise<void> {
    const ctx = this.context();
    const device: RunningDevice = { config, timers: [], samples: 0, pointState: new Map(), eventActive: new Map() };
    this.devices.set(config.id, device);
    ctx.status(config.id, { status: 'online', meta: { model: 'synthetic', points: config.points.length } });
    if (config.points.length > 0) {
      device.timers.push(setInterval(() => this.sample(device), config.intervalMs));
      this.sample(device);
    }
    config.events.forEach((e, i) => {
      device.timers.push(setInterval(() => this.raise(device, i), e.everyMs));
    });
  }

  async updateDevice(config: SyntheticDeviceConfig): Promise<void> {
    await this.removeDevice(config.id);
    await this.addDevice(config);
  }

  async removeDevice(deviceId: string): Promise<void> {
    const device = this.devices.get(deviceId);
    if (!device) return;
    for (const t of device.timers) clearInterval(t);
    this.devices.delete(deviceId);
  }

  async read(deviceId: string, point: string) {
    const device = this.devices.get(deviceId);
    const p = device?.config.points.find((x) => x.name === point);
    if (!device || !p) throw new Error(`synthetic device ${deviceId} has no point ${point}`);
    const now = this.context().clock.now();
    return { device: deviceId, point, ts: now, raw: waveValue(p, now, device.pointState.get(point) ?? {}, this.random) };
  }

  private sample(device: RunningDevice): void {
    const ctx = this.context();
    const now = ctx.clock.now();
    device.samples++;
    const batch: RawSample[] = device.config.points.map((p) => {
      if (p.failEvery > 0 && device.samples % p.failEvery === 0) {
        return { device: device.config.id, point: p.name, ts: now, raw: null, quality: 'bad', error: 'synthetic failure (failEvery)' };
      }
      let state = device.pointState.get(p.name);
      if (!state) {
        state = {};
        device.pointState.set(p.name, state);
      }
      return { device: device.config.id, point: p.name, ts: now, raw: waveValue(p, now, state, this.random) };
    });
    ctx.samples(batch);
  }

  private raise(device: RunningDevice, index: number): void {
    const e = device.config.events[index]!;
    const active = device.eventActive.get(index) ?? false;
    device.eventActive.set(index, !active);
    this.context().event({
      device: device.config.id,
      type: e.type,
      state: e.pulse ? 'pulse' : active ? 'cleared' : 'active',
      severity: e.severity,
      channel: e.channel,
      zone: device.config.zone,
      message: e.message ?? `${e.type} on ${device.config.id} (synthetic)`,
    });
  }

  private context(): DriverContext {
    if (!this.ctx) throw new Error('synthetic driver used before start()');
    return this.ctx;
  }
}
