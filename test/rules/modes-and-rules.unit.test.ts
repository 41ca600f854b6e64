import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { gatewayConfigSchema } from '../../gateway/config/schema/gateway-config.js';
import { ManualClock } from '../../gateway/core/clock.js';
import { createIdFactory } from '../../gateway/core/ids.js';
import { silentLogger } from '../../gateway/core/logger.js';
import type { GatewayEvent, Reading } from '../../gateway/core/model.js';
import { lastDailyAt, zonedToEpoch } from '../../gateway/core/zoned-time.js';
import { CalendarScheduler } from '../../gateway/modes/calendar.js';
import { ModeManager } from '../../gateway/modes/mode-manager.js';
import { openGatewayDatabase } from '../../gateway/storage/sqlite-database.js';
import { SqliteStateStore } from '../../gateway/storage/sqlite-state-store.js';
import { EventFactory, type EventInput } from '../../gateway/pipeline/event-factory.js';
import { EventGate } from '../../gateway/rules/event-gate.js';
import { ModeRules } from '../../gateway/rules/mode-rules.js';
import { SensorThresholds } from '../../gateway/rules/sensor-thresholds.js';

const log = silentLogger();
function store(): SqliteStateStore {
  const { db } = openGatewayDatabase(':memory:', 'NORMAL', log);
  return new SqliteStateStore(db as Database.Database);
}
const config = (extra: object) => gatewayConfigSchema.parse({ gateway: 'g', site: 's', platform: { url: 'mqtt://x:1' }, ...extra });

describe('site time', () => {
  it('converts local times of the site to instants', () => {
    expect(new Date(zonedToEpoch('2024-01-01T00:00', 'Asia/Shanghai')).toISOString()).toBe('2023-12-31T16:00:00.000Z');
    expect(new Date(lastDailyAt(Date.parse('2024-01-01T19:00:00Z'), '04:00', 'Asia/Shanghai')).toISOString()).toBe('2023-12-31T20:00:00.000Z');
  });
});

describe('the calendar', () => {
  it('switches at event boundaries and holidays, and does not undo a mode it did not set', () => {
    const cfg = config({
      calendar: {
        timeZone: 'Asia/Shanghai',
        holidays: ['2024-01-01'],
        events: [{ name: 'new-year-eve', start: '2023-12-31T18:00', end: '2024-01-01T02:00', mode: 'major-event' }],
      },
    });
    const clock = new ManualClock(zonedToEpoch('2023-12-31T12:00', 'Asia/Shanghai'));
    const s = store();
    const modes = new ModeManager(s, 'normal', log, clock.now());
    const changes: string[] = [];
    modes.onChange((c) => changes.push(`${c.mode} by ${c.by}`));
    const calendar = new CalendarScheduler(cfg.calendar, modes, s, clock, log, 'normal');
    calendar.check();
    expect(modes.mode).toBe('normal');
    clock.set(zonedToEpoch('2023-12-31T18:00', 'Asia/Shanghai'));
    calendar.check();
    expect(modes.mode).toBe('major-event');
    modes.set('emergency', 'ui:admin', 'crowd', clock.now());
    clock.set(zonedToEpoch('2024-01-01T02:00', 'Asia/Shanghai'));
    calendar.check(); // event over; it is a holiday now, but emergency was set by a person
    expect(modes.mode).toBe('emergency');
    modes.set('holiday', 'ui:admin', 'calm', clock.now());
    clock.set(zonedToEpoch('2024-01-02T00:00', 'Asia/Shanghai'));
    calendar.check(); // the holiday ends: back to the base mode
    expect(modes.mode).toBe('normal');
    expect(changes).toEqual(['major-event by calendar:new-year-eve', 'emergency by ui:admin', 'holiday by ui:admin', 'normal by calendar:regular day']);
  });
});

describe('mode rules', () => {
  it('escalate on a crowd level and step down after the calm period', () => {
    const cfg = config({ rules: { modeRules: [{ id: 'level-1', level: 1, switchTo: 'emergency' }], stepDown: { policy: 'after-calm', afterCalmMs: 60_000 } } });
    const clock = new ManualClock(0);
    const s = store();
    const modes = new ModeManager(s, 'holiday', log, 0);
    const rules = new ModeRules(cfg.rules, modes, s, clock, log);
    rules.levelChanged('square', 2);
    expect(modes.mode).toBe('holiday');
    rules.levelChanged('square', 1);
    expect(modes.mode).toBe('emergency');
    rules.levelChanged('square', undefined);
    clock.advance(30_000);
    (rules as unknown as { checkCalm(): void }).checkCalm();
    expect(modes.mode).toBe('emergency');
    clock.advance(31_000);
    (rules as unknown as { checkCalm(): void }).checkCalm();
    expect(modes.mode).toBe('holiday');
  });
});

describe('sensor thresholds', () => {
  it('raise after the minimum duration and clear past the hysteresis', () => {
    const clock = new ManualClock(0);
    const raised: EventInput[] = [];
    const rules = config({
      devices: [{ id: 'env-1', kind: 'other', driver: 'synthetic' }],
      rules: { sensorThresholds: [{ id: 'pm25-high', device: '*', point: 'pm25', above: 75, hysteresis: 5, forMs: 60_000 }] },
    }).rules;
    const t = new SensorThresholds(rules.sensorThresholds, clock, (e) => raised.push(e));
    const reading = (value: number): Reading => ({ id: 'x', device: 'env-1', point: 'pm25', ts: '', value, unit: 'ug/m3', quality: 'good' });
    t.onReadings([reading(80)]);
    clock.advance(30_000);
    t.onReadings([reading(90)]);
    expect(raised).toEqual([]);
    clock.advance(30_000);
    t.onReadings([reading(85)]);
    expect(raised).toMatchObject([{ type: 'sensor.threshold', state: 'active', key: 'sensor:pm25-high:env-1', data: { value: 85, limit: 75 } }]);
    t.onReadings([reading(72)]); // inside the hysteresis band
    t.onReadings([reading(69)]);
    expect(raised.map((e) => e.state)).toEqual(['active', 'cleared']);
  });
});

describe('the event gate', () => {
  it('suppresses a storm per key and counts it into the next event; applies per-mode severities', () => {
    const clock = new ManualClock(0);
    const accepted: GatewayEvent[] = [];
    const cfg = config({ rules: { suppression: { windowMs: 10_000 } }, modes: { policies: { emergency: { severities: { fireworks: 'critical' } } } } });
    let mode: 'normal' | 'emergency' = 'normal';
    const gate = new EventGate({
      config: () => cfg,
      events: new EventFactory(createIdFactory(), clock, () => mode),
      clock,
      log,
      mode: () => mode,
      camerasFor: () => [],
      snapshot: async () => Buffer.alloc(0),
      accept: (e) => accepted.push(e),
    });
    const fireworks: EventInput = { type: 'fireworks', state: 'pulse', severity: 'major', source: { device: 'cam-1' } };
    expect(gate.raise(fireworks)).toBeDefined();
    for (let i = 0; i < 5; i++) expect(gate.raise(fireworks)).toBeUndefined();
    clock.advance(10_000);
    mode = 'emergency';
    gate.raise(fireworks);
    expect(accepted.map((e) => [e.severity, e.data?.suppressed])).toEqual([
      ['major', undefined],
      ['critical', 5],
    ]);
  });
});
