import type Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { basePointSchema } from '../../gateway/config/schema/point.js';
import { gatewayConfigSchema } from '../../gateway/config/schema/gateway-config.js';
import { ManualClock } from '../../gateway/core/clock.js';
import { createIdFactory } from '../../gateway/core/ids.js';
import { silentLogger } from '../../gateway/core/logger.js';
import type { GatewayEvent, Reading } from '../../gateway/core/model.js';
import { zonedToEpoch } from '../../gateway/core/zoned-time.js';
import { CalendarScheduler } from '../../gateway/modes/calendar.js';
import { ModeManager } from '../../gateway/modes/mode-manager.js';
import { openGatewayDatabase } from '../../gateway/storage/sqlite-database.js';
import { SqliteOutbox } from '../../gateway/outbox/sqlite-outbox.js';
import { SqliteStateStore } from '../../gateway/storage/sqlite-state-store.js';
import { EventFactory, type EventInput } from '../../gateway/pipeline/event-factory.js';
import { Normalizer } from '../../gateway/pipeline/normalizer.js';
import { EventGate } from '../../gateway/rules/event-gate.js';
import { ModeRules } from '../../gateway/rules/mode-rules.js';
import { SensorThresholds } from '../../gateway/rules/sensor-thresholds.js';
import { ZoneEngine } from '../../gateway/rules/zone-engine.js';
import { SessionStore } from '../../gateway/ui/sessions.js';

/**
 * Wall-clock steps (NTP, `date -s`, a dead RTC battery) while the gateway core runs: the
 * ManualClock's `step` moves only the wall clock, `advance` is time passing. Durations (windows,
 * heartbeats, calm periods, minimum durations) must keep their real length across a step of −1 h
 * or +1 day; calendar things (daily reset, scheduled events) must neither re-fire nor be blocked.
 */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const log = silentLogger();
const config = (extra: object) => gatewayConfigSchema.parse({ gateway: 'g', site: 's', platform: { url: 'mqtt://x:1' }, ...extra });
function store(): SqliteStateStore {
  const { db } = openGatewayDatabase(':memory:', 'NORMAL', log);
  return new SqliteStateStore(db as Database.Database);
}

describe('the event gate across wall-clock steps', () => {
  const fireworks: EventInput = { type: 'fireworks', state: 'pulse', severity: 'major', source: { device: 'cam-1', channel: 2 } };
  function setup(extra: object = {}) {
    const clock = new ManualClock(Date.parse('2026-12-31T15:00:00.000Z'));
    const cfg = config({ rules: { suppression: { windowMs: 60_000 } }, ...extra });
    const accepted: GatewayEvent[] = [];
    const asked: string[] = [];
    const gate = new EventGate({
      config: () => cfg,
      events: new EventFactory(createIdFactory(), clock, () => 'normal'),
      clock,
      log,
      mode: () => 'normal',
      camerasFor: (source) => (source.device ? [source.device] : []),
      snapshot: async (device) => {
        asked.push(device);
        return Buffer.from([0xff, 0xd8, 0xff, 0xd9]);
      },
      accept: (e) => accepted.push(e),
    });
    return { clock, gate, accepted, asked };
  }
  afterEach(() => {
    vi.useRealTimers();
  });

  it('delivers a repeat after the window although the wall clock stepped back 1 h (was: suppressed for an hour)', () => {
    const { clock, gate, accepted } = setup();
    expect(gate.raise(fireworks)).toBeDefined();
    clock.step(-HOUR);
    clock.advance(10_000);
    expect(gate.raise(fireworks)).toBeUndefined(); // still inside the window: suppressed
    clock.advance(51_000); // 61 s after the first
    expect(gate.raise(fireworks)).toBeDefined();
    expect(accepted.map((e) => e.data?.suppressed)).toEqual([undefined, 1]);
    // Stamps stay wall time: the second event carries the stepped-back time.
    expect(accepted[1]!.ts).toBe('2026-12-31T14:01:01.000Z');
  });

  it('keeps suppressing within the window when the wall clock steps forward a day', () => {
    const { clock, gate, accepted } = setup();
    expect(gate.raise(fireworks)).toBeDefined();
    clock.step(DAY);
    clock.advance(1_000);
    expect(gate.raise(fireworks)).toBeUndefined();
    clock.advance(58_000);
    expect(gate.raise(fireworks)).toBeUndefined();
    clock.advance(1_000); // 60 s after the first
    expect(gate.raise(fireworks)).toBeDefined();
    expect(accepted.map((e) => e.data?.suppressed)).toEqual([undefined, 2]);
  });
  it('sends a fold summary at the end of the real window after a step back (was: an hour later)', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { clock, gate, accepted } = setup({ rules: { suppression: { windowMs: 10_000 } } });
    const crossing = (objectId: number): EventInput => ({
      type: 'line.crossed',
      state: 'pulse',
      suppression: 'fold',
      source: { device: 'cam-1' },
      data: { objectId },
    });
    expect(gate.raise(crossing(1))).toBeDefined();
    clock.step(-HOUR);
    clock.advance(2_000);
    expect(gate.raise(crossing(2))).toBeUndefined();
    vi.advanceTimersByTime(7_999);
    expect(accepted).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(accepted.map((e) => e.data?.suppressed)).toEqual([undefined, 1]);
  });

  it("rate-limits a camera's snapshots by real time: a step back does not withhold pictures for an hour", async () => {
    const { clock, gate, accepted, asked } = setup({
      rules: { suppression: { windowMs: 0 } },
      modes: { policies: { normal: { snapshots: ['fireworks'] } } },
      snapshots: { minIntervalMs: 5000 },
    });
    gate.raise(fireworks);
    await vi.waitFor(() => expect(accepted).toHaveLength(1));
    clock.step(-HOUR);
    clock.advance(1_000);
    gate.raise(fireworks); // within 5 s: no picture
    await vi.waitFor(() => expect(accepted).toHaveLength(2));
    clock.advance(4_000);
    gate.raise(fireworks);
    await vi.waitFor(() => expect(accepted).toHaveLength(3));
    expect(asked).toEqual(['cam-1', 'cam-1']);
    expect(accepted.map((e) => e.snapshot?.bytes)).toEqual([4, undefined, 4]);
  });
});

describe('the normalizer heartbeat (maxSilenceMs) across wall-clock steps', () => {
  it('keeps its period after a step of −1 h and of +1 day', () => {
    const clock = new ManualClock(Date.parse('2026-12-31T15:00:00.000Z'));
    const normalizer = new Normalizer(() => 'id', clock, log);
    normalizer.setDevicePoints('dev', [basePointSchema.parse({ name: 't', deadband: 5, maxSilenceMs: 10_000 })]);
    const sent = () => normalizer.normalize([{ device: 'dev', point: 't', ts: clock.now(), raw: 1 }]).length;
    expect(sent()).toBe(1);
    clock.step(-HOUR);
    clock.advance(9_999);
    expect(sent()).toBe(0);
    clock.advance(1);
    expect(sent()).toBe(1); // the heartbeat 10 s later, not an hour later
    clock.step(DAY);
    clock.advance(1_000);
    expect(sent()).toBe(0); // a day's step forward is not 10 s of silence
    clock.advance(9_000);
    expect(sent()).toBe(1);
  });
});

describe('mode rules: calm step-down across wall-clock steps', () => {
  function setup() {
    const cfg = config({ rules: { modeRules: [{ id: 'level-1', level: 1, switchTo: 'emergency' }], stepDown: { policy: 'after-calm', afterCalmMs: 60_000 } } });
    const clock = new ManualClock(Date.parse('2026-12-31T15:00:00.000Z'));
    const s = store();
    const modes = new ModeManager(s, 'holiday', log, clock.now());
    const rules = new ModeRules(cfg.rules, modes, s, clock, log);
    const checkCalm = () => (rules as unknown as { checkCalm(): void }).checkCalm();
    rules.levelChanged('square', 1);
    expect(modes.mode).toBe('emergency');
    rules.levelChanged('square', undefined);
    return { clock, modes, checkCalm };
  }

  it('is not delayed by a step back of 1 h', () => {
    const { clock, modes, checkCalm } = setup();
    clock.step(-HOUR);
    clock.advance(59_000);
    checkCalm();
    expect(modes.mode).toBe('emergency');
    clock.advance(1_000);
    checkCalm();
    expect(modes.mode).toBe('holiday');
  });

  it('is not hastened by a step forward of a day', () => {
    const { clock, modes, checkCalm } = setup();
    clock.step(DAY);
    clock.advance(5_000);
    checkCalm();
    expect(modes.mode).toBe('emergency');
    clock.advance(55_000);
    checkCalm();
    expect(modes.mode).toBe('holiday');
  });
});

describe('sensor thresholds: the minimum duration across wall-clock steps', () => {
  it('needs forMs of real time: a step forward does not raise early, a step back does not delay', () => {
    const clock = new ManualClock(Date.parse('2026-12-31T15:00:00.000Z'));
    const raised: EventInput[] = [];
    const rules = config({ rules: { sensorThresholds: [{ id: 'pm25-high', device: '*', point: 'pm25', above: 75, hysteresis: 5, forMs: 60_000 }] } }).rules;
    const t = new SensorThresholds(rules.sensorThresholds, clock, (e) => raised.push(e));
    const reading = (value: number): Reading => ({ id: 'x', device: 'env-1', point: 'pm25', ts: '', value, unit: 'ug/m3', quality: 'good' });
    t.onReadings([reading(80)]);
    clock.step(DAY);
    clock.advance(1_000);
    t.onReadings([reading(80)]);
    expect(raised).toEqual([]);
    clock.step(-DAY - HOUR);
    clock.advance(59_000);
    t.onReadings([reading(80)]);
    expect(raised.map((e) => e.state)).toEqual(['active']);
  });
});

describe('the calendar across wall-clock steps', () => {
  it('a step back into the time before an event started neither steps down nor re-fires the start', () => {
    const cfg = config({
      calendar: {
        timeZone: 'Asia/Shanghai',
        holidays: ['2024-01-01'],
        events: [{ name: 'new-year-eve', start: '2023-12-31T18:00', end: '2024-01-01T02:00', mode: 'major-event' }],
      },
    });
    const clock = new ManualClock(zonedToEpoch('2023-12-31T18:30', 'Asia/Shanghai'));
    const s = store();
    const modes = new ModeManager(s, 'normal', log, clock.now());
    const changes: string[] = [];
    modes.onChange((c) => changes.push(`${c.mode} by ${c.by}`));
    const calendar = new CalendarScheduler(cfg.calendar, modes, s, clock, log, 'normal');
    calendar.check();
    expect(modes.mode).toBe('major-event');
    clock.step(-HOUR); // 17:30: before the event's start
    calendar.check();
    expect(modes.mode).toBe('major-event');
    clock.advance(HOUR); // 18:30 again
    calendar.check();
    // The end still comes at its wall time, and a step forward passes boundaries as time would.
    clock.set(zonedToEpoch('2024-01-01T02:00', 'Asia/Shanghai'));
    calendar.check();
    clock.step(DAY);
    calendar.check();
    expect(changes).toEqual(['major-event by calendar:new-year-eve', 'holiday by calendar:holiday 2024-01-01', 'normal by calendar:regular day']);
  });
});

describe('the zone daily reset across wall-clock steps', () => {
  function setup() {
    const cfg = config({
      devices: [{ id: 'gate-1', kind: 'other', driver: 'synthetic' }],
      zones: [{ id: 'square', dailyResetAt: '04:00', lines: [{ device: 'gate-1', in: 'people.in', counts: 'interval' }] }],
    });
    const clock = new ManualClock(zonedToEpoch('2026-12-31T12:00', 'Asia/Shanghai'));
    const engine = new ZoneEngine({
      zones: cfg.zones,
      timeZone: 'Asia/Shanghai',
      store: store(),
      ids: createIdFactory(),
      clock,
      log,
      mode: () => 'normal',
      readings: () => {},
      raise: () => {},
      levelChanged: () => {},
    });
    let n = 0;
    const enter = (count: number) => engine.onReadings([{ id: `r-${++n}`, device: 'gate-1', point: 'people.in', ts: '', value: count, quality: 'good' }]);
    const tick = () => (engine as unknown as { tick(): void }).tick();
    const occupancy = () => engine.status()[0]!.occupancy;
    engine.start();
    return { clock, engine, enter, tick, occupancy };
  }

  it('resets once at local 04:00; a step back over it does not reset again, nor block the next day', () => {
    const { clock, engine, enter, tick, occupancy } = setup();
    enter(5);
    clock.advance(16 * HOUR + 1_000); // 2027-01-01 04:00:01 local
    tick();
    expect(occupancy()).toBe(0);
    enter(7);
    clock.step(-HOUR); // 03:00:01: before the reset just done
    tick();
    clock.advance(HOUR); // 04:00:01 again
    tick();
    expect(occupancy()).toBe(7); // not zeroed a second time
    clock.advance(HOUR); // 05:00:01
    clock.step(-DAY); // 2026-12-31 05:00:01: a day back
    tick();
    clock.advance(23 * HOUR); // a real day after the reset: 2027-01-01 04:00:01 on the wall clock
    tick();
    expect(occupancy()).toBe(0); // the next reset is not blocked for the step's day
    engine.stop();
  });

  it('a step forward over 04:00 soon after a reset does not zero the crowd', () => {
    const { clock, engine, enter, tick, occupancy } = setup();
    clock.advance(16 * HOUR + 1_000);
    tick();
    enter(9);
    clock.step(DAY);
    tick();
    expect(occupancy()).toBe(9);
    engine.stop();
  });
});

describe('the outbox batch delay (maxDelayMs) across wall-clock steps', () => {
  it('a partial batch is due after maxDelayMs of real time, whatever the wall clock did', () => {
    const clock = new ManualClock(Date.parse('2026-12-31T15:00:00.000Z'));
    const { db } = openGatewayDatabase(':memory:', 'NORMAL', log);
    const outbox = new SqliteOutbox({ db, gateway: 'gw', site: 'site', capacityBytes: 1 << 20, log, clock });
    const ids = createIdFactory();
    outbox.appendReadings(
      Array.from({ length: 3 }, (_, i) => ({
        id: ids(),
        device: 'd',
        point: 'p',
        ts: new Date(clock.now()).toISOString(),
        value: i,
        quality: 'good' as const,
      })),
    );
    clock.step(DAY);
    expect(outbox.formBatches(10, 5_000, 1)).toEqual([]); // a day's step is not 5 s of waiting
    clock.step(-DAY - HOUR);
    clock.advance(5_000);
    expect(outbox.formBatches(10, 5_000, 1).map((b) => b.count)).toEqual([3]);
    outbox.close();
  });
});

describe('UI sessions across wall-clock steps', () => {
  it('the idle timeout is real time: a step back does not extend it, a step forward does not end a session', () => {
    const clock = new ManualClock(Date.parse('2026-12-31T15:00:00.000Z'));
    const sessions = new SessionStore(
      { idleMs: 60_000, absoluteMs: HOUR },
      () => clock.now(),
      () => clock.monotonic(),
    );
    const { id, session } = sessions.create('tech', 'technician', '127.0.0.1');
    expect(session.createdAt).toBe(clock.now()); // a wall stamp (compared with a password change's)
    clock.step(DAY);
    clock.advance(1_000);
    expect(sessions.get(id)).toBeDefined();
    clock.step(-DAY - HOUR);
    clock.advance(60_001);
    expect(sessions.get(id)).toBeUndefined();
  });
});
