import { describe, expect, it } from 'vitest';
import { DeviceChannel } from '../../drivers/mqtt/device-channel.js';
import { PayloadMapper } from '../../drivers/mqtt/payload-mapper.js';
import { SHIPPED_MQTT_PROFILES } from '../../drivers/mqtt/profile-file.js';
import type { MqttDeviceConfig } from '../../drivers/mqtt/schema.js';
import { ManualClock } from '../../gateway/core/clock.js';
import { SENSOR_SHAPES, SHAPES } from '../../simulators/mqtt/payload-shapes.js';
import { SimulatedSensor } from '../../simulators/mqtt/simulated-sensor.js';
import { CapturingContext, deviceFromProfile, samplesOf } from './helpers.js';

const T0 = Date.UTC(2026, 10, 27, 1, 0, 0);
const client = { mode: 'client' as const, url: 'mqtt://127.0.0.1:1883' };

/** A channel fed directly (no broker): the mapping alone. */
function channelFor(device: MqttDeviceConfig) {
  const ctx = new CapturingContext(new ManualClock(T0));
  const channel = new DeviceChannel(device, new PayloadMapper(device), ctx, ctx.log);
  const send = (topic: string, payload: unknown) => channel.handle(topic, Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)));
  const values = (point: string) => samplesOf(ctx, device.id, point).map((s) => s.raw);
  return { ctx, channel, send, values };
}

describe('payload mapping by profile', () => {
  it('maps a flat environment payload, with the device time in epoch ms', async () => {
    const { ctx, send } = channelFor(await deviceFromProfile('mqtt-env-json', { id: 'env-07', connection: client }));
    const ts = T0 - 5000;
    send('sensors/env-07/data', { ts, temperature: 21.4, humidity: '45.2', pm25: 12.3, noise: 55.1 });
    expect(ctx.recorded.samples).toEqual([
      { device: 'env-07', point: 'temperature', ts, raw: 21.4 },
      { device: 'env-07', point: 'humidity', ts, raw: 45.2 },
      { device: 'env-07', point: 'pm25', ts, raw: 12.3 },
      { device: 'env-07', point: 'noise', ts, raw: 55.1 },
    ]);
  });

  it('maps a measurement list by type, whatever its order, with an ISO time', async () => {
    const ch = channelFor(await deviceFromProfile('mqtt-env-array', { id: 'env-river-01', connection: client }));
    ch.send('sensors/env-river-01/measurements', {
      time: '2026-11-27T00:59:00.000Z',
      data: [
        { type: 'pm2.5', value: 9.5 },
        { type: 'temperature', value: 70.7, unit: 'F' },
        { type: 'humidity', value: 40 },
      ],
    });
    expect(ch.values('temperature')).toEqual([70.7]); // raw: the core converts [degF] to Cel
    expect(ch.values('pm25')).toEqual([9.5]);
    expect(ch.values('noise')).toEqual([]); // optional and absent
    expect(samplesOf(ch.ctx, 'env-river-01')[0]!.ts).toBe(Date.UTC(2026, 10, 27, 0, 59));
  });

  it('maps Xovis-like live counts (fw/bw by name) to continuous in/out and deltas', async () => {
    const ch = channelFor(await deviceFromProfile('mqtt-xovis-live', { id: 'pc-x1', topicId: '80-1F-12-AB-CD-EF', connection: client }));
    const msg = (t: string, fw: number, bw: number) => ({
      sensor: { serial: '80-1F-12-AB-CD-EF' },
      time: t,
      live_counts: [
        {
          line_id: 0,
          counts: [
            { name: 'bw', value: bw },
            { name: 'fw', value: fw },
          ],
        },
      ],
    });
    ch.send('xovis/80-1F-12-AB-CD-EF/live', msg('2026-11-26T23:59:58Z', 1200, 1150));
    ch.send('xovis/80-1F-12-AB-CD-EF/live', msg('2026-11-26T23:59:59Z', 1203, 1152));
    ch.send('xovis/80-1F-12-AB-CD-EF/live', msg('2026-11-27T00:00:01Z', 2, 1)); // midnight reset
    expect(ch.values('in')).toEqual([1200, 1203, 1205]);
    expect(ch.values('out')).toEqual([1150, 1152, 1153]);
    expect(ch.values('in-delta')).toEqual([3, 2]);
    expect(ch.values('out-delta')).toEqual([2, 1]);
    expect(ch.channel.stats.counterResets).toBe(2);
  });

  it('accumulates Xovis-like interval counts and counts a resent interval once', async () => {
    const ch = channelFor(await deviceFromProfile('mqtt-xovis-logic', { id: 'pc-x2', connection: client }));
    const msg = (to: string, fw: number, bw: number) => ({
      content: {
        element: [
          {
            'element-id': 0,
            from: 'x',
            to,
            counts: [
              { name: 'fw', value: fw },
              { name: 'bw', value: bw },
            ],
          },
        ],
      },
    });
    ch.send('xovis/pc-x2/logic', msg('2026-11-27T00:01:00Z', 12, 9));
    ch.send('xovis/pc-x2/logic', msg('2026-11-27T00:01:00Z', 12, 9)); // byte-identical resend
    ch.send('xovis/pc-x2/logic', msg('2026-11-27T00:02:00Z', 5, 7));
    ch.send('xovis/pc-x2/logic', { ...msg('2026-11-27T00:02:00Z', 5, 7), note: 'same interval, other bytes' });
    expect(ch.values('in')).toEqual([12, 17]);
    expect(ch.values('out')).toEqual([9, 16]);
    expect(ch.values('in-interval')).toEqual([12, 5]);
    expect(ch.channel.stats.rejected.duplicate).toBe(1 + 2); // one message, then two points of another
  });

  it('recognises a long message sent twice by its digest, and a repeat without device time only within duplicateWindowMs', async () => {
    const timed = channelFor(await deviceFromProfile('mqtt-env-json', { id: 'env-07', connection: client }));
    const long = { ts: T0, temperature: 20, humidity: 40, pm25: 5, noise: 50, note: 'x'.repeat(3000) };
    timed.send('sensors/env-07/data', long);
    timed.send('sensors/env-07/data', long);
    expect(timed.channel.stats.rejected.duplicate).toBe(1);
    expect(timed.values('temperature')).toEqual([20]);

    const untimed = { temperature: 20, humidity: 40, pm25: 5, noise: 50 };
    const plain = channelFor(await deviceFromProfile('mqtt-env-json', { id: 'env-08', connection: client }));
    plain.send('sensors/env-08/data', untimed);
    plain.send('sensors/env-08/data', untimed); // a sensor repeating its value: not a duplicate
    expect(plain.values('temperature')).toEqual([20, 20]);
    const windowed = channelFor(await deviceFromProfile('mqtt-env-json', { id: 'env-09', connection: client, duplicateWindowMs: 5000 }));
    windowed.send('sensors/env-09/data', untimed);
    windowed.send('sensors/env-09/data', untimed);
    expect(windowed.values('temperature')).toEqual([20]);
  });

  it('maps Axis-like people counter and occupancy payloads (ISO time with offset)', async () => {
    const pc = channelFor(await deviceFromProfile('mqtt-axis-people-counter', { id: 'pc-axis', topicId: 'ACCC8E012345', connection: client }));
    pc.send('axis/ACCC8E012345/people-counter', { serial: 'ACCC8E012345', timestamp: '2026-11-27T09:00:00+08:00', in: 123, out: 100 });
    pc.send('axis/ACCC8E012345/people-counter', { serial: 'ACCC8E012345', timestamp: '2026-11-27T09:00:05+08:00', in: 125, out: 100 });
    expect(pc.values('in')).toEqual([123, 125]);
    expect(pc.values('in-delta')).toEqual([2]);
    expect(samplesOf(pc.ctx, 'pc-axis', 'in')[0]!.ts).toBe(Date.UTC(2026, 10, 27, 1, 0, 0));

    const occ = channelFor(await deviceFromProfile('mqtt-axis-occupancy', { id: 'occ', connection: client }));
    occ.send('axis/occ/occupancy', { serial: 'x', timestamp: '2026-11-27T09:00:00+08:00', data: { occupancy: 25, in: 300, out: 275 } });
    expect([occ.values('occupancy'), occ.values('in'), occ.values('out')]).toEqual([[25], [300], [275]]);
  });

  it('maps Irisys-like per-line counts through a 16-bit wrap, line 2 optional', async () => {
    const ch = channelFor(await deviceFromProfile('mqtt-irisys-counter', { id: 'pc-ir', connection: client }));
    ch.send('irisys/pc-ir/counts', { device_id: 'pc-ir', timestamp: T0 / 1000 - 2, counts: [{ line: 1, in: 65_530, out: 65_500 }] });
    ch.send('irisys/pc-ir/counts', {
      device_id: 'pc-ir',
      timestamp: T0 / 1000 - 1,
      counts: [
        { line: 1, in: 6, out: 65_510 },
        { line: 2, in: 3, out: 1 },
      ],
    });
    expect(ch.values('in')).toEqual([65_530, 65_542]);
    expect(ch.values('in-delta')).toEqual([12]);
    expect(ch.values('out-delta')).toEqual([10]);
    expect(ch.values('line-2/in')).toEqual([3]);
    expect(ch.channel.stats.counterWraps).toBe(1);
    expect(samplesOf(ch.ctx, 'pc-ir', 'in')[1]!.ts).toBe(T0 - 1000);
  });

  it('turns a bad point into a bad sample a technician understands, the others still good', async () => {
    const ch = channelFor(await deviceFromProfile('mqtt-env-json', { id: 'env-07', connection: client }));
    ch.send('sensors/env-07/data', { temperature: 21.4, humidity: 45, pm25: 'n/a' });
    const pm25 = samplesOf(ch.ctx, 'env-07', 'pm25')[0]!;
    expect(pm25).toMatchObject({ raw: null, quality: 'bad', error: 'payload on sensors/env-07/data: $.pm25 is "n/a", not a number' });
    expect(samplesOf(ch.ctx, 'env-07', 'noise')[0]).toMatchObject({ quality: 'bad', error: 'payload on sensors/env-07/data: $.noise is missing' });
    expect(ch.values('temperature')).toEqual([21.4]);
    expect(samplesOf(ch.ctx, 'env-07', 'temperature')[0]!.ts).toBe(T0); // no device time: receive time
    expect(ch.channel.stats.rejected).toMatchObject({ wrongType: 1, missingPath: 1 });
  });

  it('uses the receive time when the device time is not one, and says so', async () => {
    const ch = channelFor(await deviceFromProfile('mqtt-env-json', { id: 'env-07', connection: client }));
    ch.send('sensors/env-07/data', { ts: 'yesterday', temperature: 21, humidity: 40, pm25: 5, noise: 50 });
    expect(samplesOf(ch.ctx, 'env-07', 'temperature')[0]).toEqual({ device: 'env-07', point: 'temperature', ts: T0, raw: 21 });
    expect(ch.channel.stats.rejected.badTime).toBe(1); // once per message, not per point
    expect(ch.ctx.logged('device time rejected')[0]).toMatchObject({
      problem: 'payload on sensors/env-07/data: $.ts: "yesterday" is not an ISO 8601 time with a zone; the receive time is used',
    });
  });

  it('rejects a counter value that is not a count', async () => {
    const ch = channelFor(await deviceFromProfile('mqtt-axis-people-counter', { id: 'pc', connection: client }));
    ch.send('axis/pc/people-counter', { timestamp: '2026-11-27T09:00:00+08:00', in: -3, out: 1.5 });
    expect(samplesOf(ch.ctx, 'pc', 'in')[0]).toMatchObject({
      quality: 'bad',
      error: 'payload on axis/pc/people-counter: $.in is -3, not a count (a whole number >= 0)',
    });
    expect(samplesOf(ch.ctx, 'pc', 'in-delta')[0]).toMatchObject({ quality: 'bad' });
  });

  it('has a simulator shape for every shipped profile, and each maps without a bad point', async () => {
    expect(new Set(SENSOR_SHAPES.map((s) => SHAPES[s].profile))).toEqual(new Set(SHIPPED_MQTT_PROFILES));
    for (const shape of SENSOR_SHAPES) {
      const sim = new SimulatedSensor({ id: `sim-${shape}`, shape }, 'mqtt://unused', Math.random, () => T0, 0, 1000);
      const ch = channelFor(await deviceFromProfile(SHAPES[shape].profile, { id: `sim-${shape}`, connection: client }));
      ch.send(sim.topic, sim.nextPayload());
      const samples = samplesOf(ch.ctx, `sim-${shape}`);
      expect(samples.length, shape).toBeGreaterThan(0);
      expect(
        samples.filter((s) => s.quality === 'bad'),
        shape,
      ).toEqual([]);
    }
  });
});
