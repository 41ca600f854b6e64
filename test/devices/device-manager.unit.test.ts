import { describe, expect, it } from 'vitest';
import type { DeviceConfig } from '../../gateway/config/schema/devices.js';
import { syntheticDeviceSchema } from '../../drivers/synthetic/schema.js';
import { TypedBus } from '../../gateway/core/bus.js';
import { ManualClock } from '../../gateway/core/clock.js';
import { silentLogger } from '../../gateway/core/logger.js';
import type { DeviceState } from '../../gateway/core/model.js';
import { DeviceManager } from '../../gateway/devices/device-manager.js';
import type { DeviceStatusUpdate, Driver, DriverContext, DriverEvent, RawSample } from '../../gateway/devices/driver.js';
import type { GatewayBusEvents } from '../../gateway/pipeline/bus-events.js';

/**
 * The device manager through its public methods and the DriverContext it hands to drivers, with
 * fake drivers that record calls and throw on demand: no I/O. Its internals are being optimised;
 * these tests pin device states, transition events and isolation.
 */

/** A driver that records what it was asked and throws where a test says. */
class FakeDriver implements Driver {
  ctx: DriverContext | undefined;
  readonly calls: string[] = [];
  readonly writes: Array<[string, string, unknown]> = [];
  failStart = false;
  failStop = false;
  readonly refuse = new Set<string>();
  constructor(readonly name: DeviceConfig['driver']) {}
  async start(ctx: DriverContext): Promise<void> {
    this.calls.push('start');
    if (this.failStart) throw new Error('serial port /dev/ttyS9 missing');
    this.ctx = ctx;
  }
  async stop(): Promise<void> {
    this.calls.push('stop');
    if (this.failStop) throw new Error('stuck');
  }
  async addDevice(d: DeviceConfig): Promise<void> {
    this.calls.push(`add ${d.id}`);
    if (this.refuse.has(d.id)) throw new Error(`unit id of ${d.id} out of range`);
  }
  async updateDevice(d: DeviceConfig): Promise<void> {
    this.calls.push(`update ${d.id}`);
  }
  async removeDevice(id: string): Promise<void> {
    this.calls.push(`remove ${id}`);
  }
  async write(device: string, point: string, raw: unknown): Promise<void> {
    this.writes.push([device, point, raw]);
  }
  status(device: string, update: DeviceStatusUpdate): void {
    this.ctx!.status(device, update);
  }
}

const device = (id: string, extra: object = {}, driver: DeviceConfig['driver'] = 'synthetic'): DeviceConfig =>
  ({ ...syntheticDeviceSchema.parse({ id, kind: 'other', driver: 'synthetic', ...extra }), driver }) as DeviceConfig;

function setup(drivers: FakeDriver[]) {
  const clock = new ManualClock(Date.parse('2026-12-31T15:00:00.000Z'));
  const bus = new TypedBus<GatewayBusEvents>(silentLogger());
  const states: DeviceState[] = [];
  const events: DriverEvent[] = [];
  const samples: RawSample[][] = [];
  bus.on('device-state', (s) => states.push(s));
  bus.on('driver-event', (e) => events.push(e));
  bus.on('samples', (b) => samples.push(b));
  const removed: string[] = [];
  bus.on('device-removed', (d) => removed.push(d.device));
  const manager = new DeviceManager({
    drivers: new Map(drivers.map((d) => [d.name, d])),
    bus,
    clock,
    log: silentLogger(),
    mode: () => 'normal',
    onModeChange: () => () => {},
  });
  const of = (id: string) => states.filter((s) => s.device === id);
  const stateOf = (id: string) => manager.states().find((s) => s.device === id);
  return { manager, clock, states, events, samples, removed, of, stateOf };
}

describe('the device manager: start', () => {
  it('starts each needed driver once, adds the enabled devices, and publishes each initial state', async () => {
    const drv = new FakeDriver('synthetic');
    const { manager, states } = setup([drv]);
    await manager.start([device('a'), device('b', { enabled: false }), device('c')]);
    expect(drv.calls.sort()).toEqual(['add a', 'add c', 'start']);
    expect(states.map((s) => [s.device, s.status, s.error])).toEqual([
      ['a', 'offline', 'not yet connected'],
      ['b', 'disabled', undefined],
      ['c', 'offline', 'not yet connected'],
    ]);
  });
});

describe('the device manager: status transitions', () => {
  it('publishes one device state per change and none for a repeated status', async () => {
    const drv = new FakeDriver('synthetic');
    const { manager, states, of } = setup([drv]);
    await manager.start([device('a')]);
    states.length = 0;
    drv.status('a', { status: 'online' });
    drv.status('a', { status: 'online' });
    drv.status('a', { status: 'offline', error: 'no answer in 1000 ms' });
    drv.status('a', { status: 'offline', error: 'no answer in 1000 ms' });
    drv.status('a', { status: 'offline', error: 'connection refused' });
    drv.status('a', { status: 'online' });
    expect(of('a').map((s) => [s.status, s.error])).toEqual([
      ['online', undefined],
      ['offline', 'no answer in 1000 ms'],
      ['offline', 'connection refused'],
      ['online', undefined],
    ]);
  });

  it('raises device.offline when an online device goes down and device.online (same key) when it is back', async () => {
    const drv = new FakeDriver('synthetic');
    const { manager, events } = setup([drv]);
    await manager.start([device('a', { zone: 'square' })]);
    drv.status('a', { status: 'online' });
    drv.status('a', { status: 'error', error: 'modbus exception 4' });
    drv.status('a', { status: 'offline', error: 'timeout' });
    drv.status('a', { status: 'online' });
    expect(events.map((e) => [e.type, e.state, e.severity, e.key, e.zone])).toEqual([
      ['device.offline', 'active', 'major', 'device:a:offline', 'square'],
      ['device.online', 'cleared', 'info', 'device:a:offline', 'square'],
    ]);
    expect(events[0]!.message).toBe('a is in error: modbus exception 4');
  });

  it('raises no device.online for a device coming online the first time, and no device.offline before it was ever up', async () => {
    const drv = new FakeDriver('synthetic');
    const { manager, events } = setup([drv]);
    await manager.start([device('a')]);
    drv.status('a', { status: 'offline', error: 'connection refused' });
    drv.status('a', { status: 'online' });
    expect(events).toEqual([]);
  });

  it('publishes a meta update as a state without an event, merged into the meta it had', async () => {
    const drv = new FakeDriver('synthetic');
    const { manager, of, events, stateOf } = setup([drv]);
    await manager.start([device('cam')]);
    drv.status('cam', { status: 'online', meta: { model: 'DS-2CD', channels: 1 } });
    drv.status('cam', { status: 'online', meta: { subscription: 'renewed' } });
    expect(of('cam').at(-1)!.meta).toEqual({ model: 'DS-2CD', channels: 1, subscription: 'renewed' });
    expect(stateOf('cam')!.meta).toEqual({ model: 'DS-2CD', channels: 1, subscription: 'renewed' });
    expect(events).toEqual([]);
  });

  it('stamps lastSeen when a device is online and when a good sample arrives, not for a bad one', async () => {
    const drv = new FakeDriver('synthetic');
    const { manager, clock, samples, stateOf } = setup([drv]);
    await manager.start([device('a')]);
    drv.status('a', { status: 'online' });
    expect(stateOf('a')!.lastSeen).toBe('2026-12-31T15:00:00.000Z');
    clock.advance(5000);
    drv.ctx!.samples([{ device: 'a', point: 'p', ts: clock.now(), raw: 1, quality: 'bad', error: 'x' }]);
    expect(stateOf('a')!.lastSeen).toBe('2026-12-31T15:00:00.000Z');
    drv.ctx!.samples([{ device: 'a', point: 'p', ts: clock.now(), raw: 1 }]);
    expect(stateOf('a')!.lastSeen).toBe('2026-12-31T15:00:05.000Z');
    expect(samples).toHaveLength(2);
    drv.status('a', { status: 'offline', error: 'gone' });
    expect(stateOf('a')).toMatchObject({ status: 'offline', lastSeen: '2026-12-31T15:00:05.000Z', error: 'gone' });
  });

  it('ignores a status for a device it does not know', async () => {
    const drv = new FakeDriver('synthetic');
    const { manager, states } = setup([drv]);
    await manager.start([device('a')]);
    states.length = 0;
    expect(() => drv.status('ghost', { status: 'online' })).not.toThrow();
    expect(states).toEqual([]);
  });
});

describe('the device manager: isolation', () => {
  it('puts only the device a driver refused into error; the others are added', async () => {
    const drv = new FakeDriver('synthetic');
    drv.refuse.add('b');
    const { manager, stateOf } = setup([drv]);
    await manager.start([device('a'), device('b'), device('c')]);
    expect(stateOf('b')).toMatchObject({ status: 'error', error: 'unit id of b out of range' });
    drv.status('a', { status: 'online' });
    drv.status('c', { status: 'online' });
    expect([stateOf('a')!.status, stateOf('c')!.status]).toEqual(['online', 'online']);
  });

  it("puts the devices of a driver that fails to start into error, and leaves other drivers' devices alone", async () => {
    const good = new FakeDriver('synthetic');
    const bad = new FakeDriver('modbus');
    bad.failStart = true;
    const { manager, stateOf } = setup([good, bad]);
    await manager.start([device('a'), device('m1', {}, 'modbus'), device('m2', {}, 'modbus')]);
    expect(stateOf('m1')).toMatchObject({ status: 'error', error: 'driver modbus failed to start: serial port /dev/ttyS9 missing' });
    expect(stateOf('m2')!.status).toBe('error');
    expect(bad.calls).toEqual(['start']);
    good.status('a', { status: 'online' });
    expect(stateOf('a')!.status).toBe('online');
  });

  it('puts devices of a driver not in this build into error', async () => {
    const { manager, stateOf } = setup([new FakeDriver('synthetic')]);
    await manager.start([device('o1', {}, 'onvif')]);
    expect(stateOf('o1')).toMatchObject({ status: 'error', error: 'driver onvif is not available in this build' });
  });

  it('stops every started driver even when one throws', async () => {
    const a = new FakeDriver('synthetic');
    const b = new FakeDriver('modbus');
    a.failStop = true;
    const { manager } = setup([a, b]);
    await manager.start([device('a'), device('m', {}, 'modbus')]);
    await expect(manager.stop(AbortSignal.timeout(1000))).resolves.toBeUndefined();
    expect(a.calls.at(-1)).toBe('stop');
    expect(b.calls.at(-1)).toBe('stop');
  });
});

describe('the device manager: live reconfiguration', () => {
  it('adds new, updates changed, removes gone devices (device-removed: the uplink clears their retained state), and leaves unchanged ones untouched', async () => {
    const drv = new FakeDriver('synthetic');
    const { manager, states, removed } = setup([drv]);
    await manager.start([device('a'), device('b'), device('c')]);
    drv.calls.length = 0;
    states.length = 0;
    const result = await manager.apply([device('a'), device('b', { zone: 'gate-3' }), device('d')]);
    expect(result).toEqual({ added: ['d'], updated: ['b'], removed: ['c'] });
    expect(drv.calls).toEqual(['remove c', 'update b', 'add d']);
    expect(removed).toEqual(['c']);
    expect(states.map((s) => s.device)).not.toContain('c');
    expect(states.map((s) => s.device)).not.toContain('a');
  });

  it('takes a disabled device from its driver and adds it back when enabled', async () => {
    const drv = new FakeDriver('synthetic');
    const { manager, stateOf } = setup([drv]);
    await manager.start([device('a')]);
    drv.calls.length = 0;
    await manager.apply([device('a', { enabled: false })]);
    expect(stateOf('a')!.status).toBe('disabled');
    await manager.apply([device('a')]);
    expect(drv.calls).toEqual(['remove a', 'add a']);
  });
});

describe('the device manager: writes', () => {
  const writable = {
    points: [
      { name: 'setpoint', unit: 'Cel', scale: 0.1, writable: { min: 5, max: 30 } },
      { name: 'temp', scale: 0.1 },
    ],
  };

  it('checks device, point, writability, status and limits, and writes the raw value', async () => {
    const drv = new FakeDriver('synthetic');
    const { manager } = setup([drv]);
    await manager.start([device('hvac', writable)]);
    await expect(manager.writePoint('nope', 'setpoint', 20)).rejects.toMatchObject({ code: 'E_UNKNOWN_DEVICE' });
    await expect(manager.writePoint('hvac', 'nope', 20)).rejects.toMatchObject({ code: 'E_UNKNOWN_POINT' });
    await expect(manager.writePoint('hvac', 'temp', 20)).rejects.toMatchObject({ code: 'E_NOT_WRITABLE' });
    await expect(manager.writePoint('hvac', 'setpoint', 20)).rejects.toMatchObject({
      code: 'E_DEVICE_OFFLINE',
      message: 'device hvac is offline: not yet connected',
    });
    drv.status('hvac', { status: 'online' });
    await expect(manager.writePoint('hvac', 'setpoint', 31)).rejects.toMatchObject({
      code: 'E_NOT_WRITABLE',
      message: 'value 31 for hvac/setpoint is outside 5..30',
    });
    await manager.writePoint('hvac', 'setpoint', 21.5);
    expect(drv.writes).toHaveLength(1);
    expect(drv.writes[0]![0]).toBe('hvac');
    expect(drv.writes[0]![2]).toBeCloseTo(215, 9);
  });
});
