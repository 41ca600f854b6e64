import { afterEach, describe, expect, it, vi } from 'vitest';
import type { GatewayConfig } from '../../gateway/config/schema/gateway-config.js';
import { EventRegistry } from '../../drivers/onvif/events/event-registry.js';
import { EventNormalizer } from '../../drivers/onvif/events/normalizer.js';
import { onvifPointList } from '../../drivers/onvif/schema.js';
import { SnapshotBudget } from '../../drivers/onvif/snapshot/snapshot-budget.js';
import { systemClock } from '../../gateway/core/clock.js';
import { createIdFactory } from '../../gateway/core/ids.js';
import { silentLogger } from '../../gateway/core/logger.js';
import type { GatewayEvent } from '../../gateway/core/model.js';
import { EventFactory } from '../../gateway/pipeline/event-factory.js';
import { Normalizer } from '../../gateway/pipeline/normalizer.js';
import { EventGate } from '../../gateway/rules/event-gate.js';
import { eventsOf, type Harness, poll, startHarness, subscribed } from './sim-harness.js';

const registry = EventRegistry.load();
const LINE = '{http://www.onvif.org/ver10/topics}RuleEngine/LineDetector/Crossed';

function normalizer(multiChannel = false, tokens: Record<string, number> = { VSC_1: 1 }) {
  return new EventNormalizer(registry, {
    device: 'nvr-1',
    channelOf: (t) => tokens[t],
    multiChannel,
    onUnknownTopic: () => undefined,
    now: () => 0,
    toLocal: (ms) => ms,
  });
}
const crossing = (
  objectId: string,
  t: number,
  source: Record<string, string> = { VideoSourceConfigurationToken: 'VSC_1', Rule: 'Gate A' },
  direction = 'in',
) => ({
  topic: LINE,
  rawTopic: 'tns1:RuleEngine/LineDetector/Crossed',
  utcTime: t,
  source,
  key: {},
  data: { ObjectId: objectId, Direction: direction },
  propertyOperation: undefined,
});

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  vi.useRealTimers();
});

describe('analytics semantics (issue 11)', () => {
  it('counts every line crossing into a reading per rule and direction; none is collapsed', () => {
    const n = normalizer(true, { VSC_2: 2 });
    const src = { VideoSourceConfigurationToken: 'VSC_2', Rule: 'Gate A' };
    const out = [1, 2, 3, 4, 5, 6].map((i) => n.normalize(crossing(`obj-${i}`, 1000 + i * 100, src, i === 6 ? 'out' : 'in')));
    expect(out.flatMap((o) => o.samples).map((s) => [s.point, s.raw])).toEqual([
      ['ch2/line.crossings/Gate_A/in', 1],
      ['ch2/line.crossings/Gate_A/in', 2],
      ['ch2/line.crossings/Gate_A/in', 3],
      ['ch2/line.crossings/Gate_A/in', 4],
      ['ch2/line.crossings/Gate_A/in', 5],
      ['ch2/line.crossings/Gate_A/out', 1],
    ]);
    expect(out.map((o) => o.event?.suppression)).toEqual(Array(6).fill('fold'));
    expect(out.map((o) => o.event?.data?.objectId)).toEqual(['obj-1', 'obj-2', 'obj-3', 'obj-4', 'obj-5', 'obj-6']);
  });

  it('folds a burst of crossings in the event gate but keeps each object id and time; storm types are only counted', async () => {
    const accepted: GatewayEvent[] = [];
    const gate = new EventGate({
      config: () =>
        ({ modes: { policies: {} }, rules: { suppression: { windowMs: 300 } }, snapshots: { minIntervalMs: 1000, maxBytes: 1_000_000 } }) as unknown as Pick<
          GatewayConfig,
          'modes' | 'rules' | 'snapshots'
        >,
      events: new EventFactory(createIdFactory(), systemClock, () => 'normal'),
      clock: systemClock,
      log: silentLogger(),
      mode: () => 'normal',
      camerasFor: () => [],
      snapshot: async () => Buffer.alloc(0),
      accept: (e) => accepted.push(e),
    });
    const n = normalizer();
    const t0 = Date.parse('2026-11-29T12:00:00.000Z');
    for (let i = 1; i <= 6; i++) {
      const ev = n.normalize(crossing(`obj-${i}`, t0 + i * 100)).event!;
      gate.raise({ ...ev, snapshot: undefined, source: { device: ev.device, channel: ev.channel } });
    }
    for (let i = 1; i <= 6; i++) gate.raise({ type: 'motion', state: 'pulse', key: 'm', source: { device: 'nvr-1' } });
    await vi.waitFor(() => expect(accepted.filter((e) => e.type === 'line.crossed')).toHaveLength(2), { timeout: 5000 });
    const [first, summary] = accepted.filter((e) => e.type === 'line.crossed');
    expect(first!.data).toMatchObject({ objectId: 'obj-1' });
    expect(summary!.data).toMatchObject({
      suppressed: 5,
      folded: [2, 3, 4, 5, 6].map((i) => ({ objectId: `obj-${i}`, ts: new Date(t0 + i * 100).toISOString() })),
    });
    // A repeating alarm keeps the storm policy: one sent, the rest counted into the next one.
    expect(accepted.filter((e) => e.type === 'motion')).toHaveLength(1);
    gate.flush();
  });

  it('gives an event from a video source the NVR does not have no channel, no picture, and a note', () => {
    const n = normalizer(true, { VSC_1: 1, VSC_2: 2, VSC_3: 3, VSC_4: 4 });
    const out = n.normalize(crossing('x', 0, { VideoSourceConfigurationToken: 'VSC_9', Rule: 'L' }));
    expect(out.event!.channel).toBeUndefined();
    expect(out.wantsSnapshot).toBe(false);
    expect(out.event!.data).toMatchObject({ sourceUnresolved: 'VSC_9', note: expect.stringMatching(/VSC_9 is not a channel.*no picture/) });
    expect(out.samples.map((s) => s.point)).toEqual(['line.crossings/L/in']);
  });

  it('budgets pictures per channel under a device-wide cap, keeping a reserve for critical and major', () => {
    let now = 0;
    const b = new SnapshotBudget({ burst: 1, minIntervalMs: 2000, deviceBurst: 8, deviceIntervalMs: 250, reserve: 0.25, now: () => now });
    // A burst on 7 channels: one picture each while the device budget lasts (the old per-NVR budget gave 3 in all).
    expect([1, 2, 3, 4, 5, 6, 7].map((c) => b.tryAcquire(c, 'minor'))).toEqual([true, true, true, true, true, true, 'device']);
    expect(b.tryAcquire(1, 'minor')).toBe('channel');
    // The last quarter of the device budget is kept for critical/major.
    expect(b.tryAcquire(8, 'major')).toBe(true);
    expect(b.tryAcquire(9, 'critical')).toBe(true);
    expect(b.tryAcquire(10, 'critical')).toBe('device');
    now += 2000;
    expect(b.tryAcquire(6, 'minor')).toBe(true);
  });

  it('resolves NVR per-channel and per-rule points against the profile, with units', () => {
    const p = new Normalizer(createIdFactory(), systemClock, silentLogger());
    p.setDevicePoints(
      'nvr-1',
      onvifPointList.parse([
        { name: 'people.in', unit: '{person}' },
        { name: 'line.crossings', unit: '{crossing}' },
      ]),
    );
    const r = p.normalize([
      { device: 'nvr-1', point: 'ch3/people.in', ts: 0, raw: 5 },
      { device: 'nvr-1', point: 'ch89/line.crossings/Gate_A/in', ts: 0, raw: 2 },
      { device: 'nvr-1', point: 'line.crossings/L/out', ts: 0, raw: 1 },
    ]);
    expect(r.map((x) => [x.point, x.value, x.unit])).toEqual([
      ['ch3/people.in', 5, '{person}'],
      ['ch89/line.crossings/Gate_A/in', 2, '{crossing}'],
      ['line.crossings/L/out', 1, '{crossing}'],
    ]);
  });

  it('end to end on an NVR: a picture for each channel of a burst, none for an unknown source, every crossing counted', async () => {
    h = await startHarness({ cameras: 0, nvrChannels: 8 }, { snapshots: { burst: 1 } });
    await subscribed(h, 'nvr-01');
    for (let ch = 1; ch <= 8; ch++) h.set.emit('nvr-01', 'line-crossed', { channel: ch, objectId: `o${ch}` });
    h.set.emit('nvr-01', 'line-crossed', { channel: 9, objectId: 'ghost' });
    await h.ctx.until(() => eventsOf(h!, 'nvr-01', 'line.crossed').length === 9, 20_000, 'nine crossings');
    const evs = eventsOf(h, 'nvr-01', 'line.crossed');
    for (let ch = 1; ch <= 8; ch++) {
      const e = evs.find((x) => x.channel === ch)!;
      expect(e.snapshot, `channel ${ch} picture`).toBeInstanceOf(Buffer);
      expect(e.snapshot!.toString('latin1')).toContain(`nvr-01 ch${ch}`);
    }
    const ghost = evs.find((e) => e.data?.objectId === 'ghost')!;
    expect(ghost.channel).toBeUndefined();
    expect(ghost.snapshot).toBeUndefined();
    expect(ghost.data?.note).toMatch(/VSC_9/);
    await poll(() => h!.ctx.recorded.samples.filter((s) => s.point.includes('line.crossings')).length === 9, 'nine counts');
  });
});
