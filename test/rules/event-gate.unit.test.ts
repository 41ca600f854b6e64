import { afterEach, describe, expect, it, vi } from 'vitest';
import { gatewayConfigSchema } from '../../gateway/config/schema/gateway-config.js';
import { ManualClock } from '../../gateway/core/clock.js';
import { createIdFactory } from '../../gateway/core/ids.js';
import { silentLogger } from '../../gateway/core/logger.js';
import type { GatewayEvent, Mode } from '../../gateway/core/model.js';
import { EventFactory, type EventInput } from '../../gateway/pipeline/event-factory.js';
import { EventGate } from '../../gateway/rules/event-gate.js';

/** The event gate through `raise` only: what is accepted into the outbox, with which severity, count and picture. */
const config = (extra: object) => gatewayConfigSchema.parse({ gateway: 'g', site: 's', platform: { url: 'mqtt://x:1' }, ...extra });

function setup(extra: object, cameras: Record<string, (channel: number | undefined) => Promise<Buffer>> = {}) {
  const clock = new ManualClock(Date.parse('2026-12-31T15:00:00.000Z'));
  const cfg = config(extra);
  let mode: Mode = 'normal';
  const accepted: Array<{ event: GatewayEvent; picture?: Buffer }> = [];
  const asked: string[] = [];
  const gate = new EventGate({
    config: () => cfg,
    events: new EventFactory(createIdFactory(), clock, () => mode),
    clock,
    log: silentLogger(),
    mode: () => mode,
    camerasFor: (source) => [source.device, 'zone-cam-1', 'zone-cam-2'].filter((c): c is string => c !== undefined && c in cameras),
    snapshot: (device, channel) => {
      asked.push(`${device}#${channel ?? '-'}`);
      return cameras[device]!(channel);
    },
    accept: (event, picture) => accepted.push(picture ? { event, picture } : { event }),
  });
  return { gate, clock, accepted, asked, setMode: (m: Mode) => (mode = m) };
}

const fireworks: EventInput = { type: 'fireworks', state: 'pulse', severity: 'major', source: { device: 'cam-1', channel: 2 } };

afterEach(() => {
  vi.useRealTimers();
});

describe('the event gate: severities by mode', () => {
  it("uses the mode's severity for a type, and the event's own in other modes", () => {
    const { gate, accepted, setMode } = setup({
      rules: { suppression: { windowMs: 0 } },
      modes: { policies: { 'major-event': { severities: { fireworks: 'critical' } } } },
    });
    gate.raise(fireworks);
    setMode('major-event');
    gate.raise(fireworks);
    gate.raise({ type: 'tamper', state: 'active', severity: 'minor', source: { device: 'cam-1' } });
    expect(accepted.map((a) => [a.event.type, a.event.mode, a.event.severity])).toEqual([
      ['fireworks', 'normal', 'major'],
      ['fireworks', 'major-event', 'critical'],
      ['tamper', 'major-event', 'minor'],
    ]);
  });
});

describe('the event gate: storm suppression', () => {
  it('accepts one event per key and state per window and counts the rest into the next one', () => {
    const { gate, clock, accepted } = setup({ rules: { suppression: { windowMs: 10_000 } } });
    const ids = [gate.raise(fireworks)];
    for (let i = 0; i < 7; i++) {
      clock.advance(1000);
      ids.push(gate.raise(fireworks));
    }
    expect(ids[0]).toBeDefined();
    expect(ids.slice(1).every((id) => id === undefined)).toBe(true);
    clock.advance(3000); // 10 s after the first
    expect(gate.raise(fireworks)).toBeDefined();
    clock.advance(10_000);
    gate.raise(fireworks);
    expect(accepted.map((a) => a.event.data?.suppressed)).toEqual([undefined, 7, undefined]);
  });

  it('suppresses per key: another device, channel or state is its own storm', () => {
    const { gate, accepted } = setup({ rules: { suppression: { windowMs: 60_000 } } });
    const motion = (device: string, state: 'active' | 'cleared', channel?: number): EventInput => ({
      type: 'motion',
      state,
      source: { device, ...(channel ? { channel } : {}) },
    });
    for (let i = 0; i < 3; i++) {
      gate.raise(motion('cam-1', 'active'));
      gate.raise(motion('cam-1', 'cleared'));
      gate.raise(motion('cam-2', 'active'));
      gate.raise(motion('cam-2', 'active', 3));
    }
    expect(accepted.map((a) => `${a.event.source.device}:${a.event.source.channel ?? ''}:${a.event.state}`)).toEqual([
      'cam-1::active',
      'cam-1::cleared',
      'cam-2::active',
      'cam-2:3:active',
    ]);
  });

  it("never suppresses the gateway's own events, mode changes or crowd thresholds", () => {
    const { gate, accepted } = setup({ rules: { suppression: { windowMs: 60_000 } } });
    for (let i = 0; i < 3; i++) {
      gate.raise({ type: 'gateway.data_dropped', state: 'pulse', source: {} });
      gate.raise({ type: 'mode.changed', state: 'pulse', source: {} });
      gate.raise({ type: 'crowd.threshold', state: 'active', source: { zone: 'square' } });
    }
    expect(accepted).toHaveLength(9);
  });

  it('suppresses nothing with a window of 0', () => {
    const { gate, accepted } = setup({ rules: { suppression: { windowMs: 0 } } });
    for (let i = 0; i < 5; i++) gate.raise(fireworks);
    expect(accepted).toHaveLength(5);
  });
});

describe('the event gate: snapshots by mode', () => {
  const jpeg = (n: number) => Buffer.alloc(n, 0xff);

  it("takes the picture from the event's own camera and channel in the modes that ask for one", async () => {
    const { gate, accepted, asked, setMode } = setup(
      { rules: { suppression: { windowMs: 0 } }, modes: { policies: { 'major-event': { snapshots: ['fireworks'] } } } },
      { 'cam-1': async () => jpeg(2000) },
    );
    gate.raise(fireworks);
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.event.snapshot).toBeUndefined();
    setMode('major-event');
    const id = gate.raise(fireworks);
    await vi.waitFor(() => expect(accepted).toHaveLength(2));
    expect(asked).toEqual(['cam-1#2']);
    expect(accepted[1]!.event).toMatchObject({ id, snapshot: { contentType: 'image/jpeg', bytes: 2000 } });
    expect(accepted[1]!.picture).toHaveLength(2000);
  });

  it("falls back to the zone's cameras when the event's camera fails, and sends the event without a picture when all fail", async () => {
    const { gate, clock, accepted, asked } = setup(
      { modes: { policies: { normal: { snapshots: ['fireworks'] } } }, snapshots: { minIntervalMs: 0 } },
      { 'cam-1': async () => Promise.reject(new Error('401')), 'zone-cam-1': async () => jpeg(1500) },
    );
    gate.raise(fireworks);
    await vi.waitFor(() => expect(accepted).toHaveLength(1));
    expect(asked).toEqual(['cam-1#2', 'zone-cam-1#-']);
    expect(accepted[0]!.event.snapshot?.bytes).toBe(1500);

    const { gate: gate2, accepted: accepted2 } = setup(
      { modes: { policies: { normal: { snapshots: ['fireworks'] } } } },
      { 'cam-1': async () => Promise.reject(new Error('timeout')) },
    );
    clock.advance(1);
    gate2.raise(fireworks);
    await vi.waitFor(() => expect(accepted2).toHaveLength(1));
    expect(accepted2[0]!.event.snapshot).toBeUndefined();
    expect(accepted2[0]!.picture).toBeUndefined();
  });

  it('asks each camera at most once per minIntervalMs', async () => {
    const { gate, clock, accepted, asked } = setup(
      { modes: { policies: { normal: { snapshots: ['fireworks', 'tamper'] } } }, snapshots: { minIntervalMs: 5000 } },
      { 'cam-1': async () => jpeg(1200) },
    );
    gate.raise(fireworks);
    gate.raise({ type: 'tamper', state: 'active', source: { device: 'cam-1' } });
    await vi.waitFor(() => expect(accepted).toHaveLength(2));
    clock.advance(5000);
    gate.raise({ type: 'tamper', state: 'cleared', source: { device: 'cam-1' } });
    await vi.waitFor(() => expect(accepted).toHaveLength(3));
    expect(asked).toEqual(['cam-1#2', 'cam-1#-']);
    // The event without a picture is accepted at once, the others when their picture came.
    const bytes = (type: string, state: string) => accepted.find((a) => a.event.type === type && a.event.state === state)!.event.snapshot?.bytes;
    expect([bytes('fireworks', 'pulse'), bytes('tamper', 'active'), bytes('tamper', 'cleared')]).toEqual([1200, undefined, 1200]);
  });

  it('does not attach a picture larger than snapshots.maxBytes', async () => {
    const { gate, accepted } = setup(
      { modes: { policies: { normal: { snapshots: ['fireworks'] } } }, snapshots: { maxBytes: 4096 } },
      { 'cam-1': async () => jpeg(5000) },
    );
    gate.raise(fireworks);
    await vi.waitFor(() => expect(accepted).toHaveLength(1));
    expect(accepted[0]!.picture).toBeUndefined();
  });

  it('sends the event without a picture when the camera does not answer in 3 s', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { gate, accepted } = setup({ modes: { policies: { normal: { snapshots: ['fireworks'] } } } }, { 'cam-1': () => new Promise<Buffer>(() => {}) });
    gate.raise(fireworks);
    await vi.advanceTimersByTimeAsync(2999);
    expect(accepted).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.event.snapshot).toBeUndefined();
  });

  it('attaches a picture the driver brought, without asking a camera', () => {
    const { gate, accepted, asked } = setup({ modes: { policies: { normal: { snapshots: ['fireworks'] } } } }, { 'cam-1': async () => jpeg(10) });
    gate.raise(fireworks, jpeg(3000));
    expect(asked).toEqual([]);
    expect(accepted[0]!.event.snapshot).toEqual({ contentType: 'image/jpeg', bytes: 3000 });
    expect(accepted[0]!.picture).toHaveLength(3000);
  });
});
