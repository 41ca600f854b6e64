import { describe, expect, it, vi } from 'vitest';
import { createOverloadGuard } from '../../gateway/composition/overload.js';
import { ManualClock } from '../../gateway/core/clock.js';
import { silentLogger } from '../../gateway/core/logger.js';
import type { DeviceKind } from '../../gateway/core/model.js';
import type { RawSample } from '../../gateway/devices/driver.js';
import type { DeviceManager } from '../../gateway/devices/device-manager.js';
import { GatewayMetrics } from '../../gateway/observability/metrics.js';
import type { DropReporter } from '../../gateway/outbox/drop-reporter.js';
import type { SqliteOutbox } from '../../gateway/outbox/sqlite-outbox.js';
import { OverloadGuard, type OverloadStatus } from '../../gateway/pipeline/overload-guard.js';
import type { Uplink } from '../../gateway/uplink/uplink.js';

function setup(memoryLimitBytes = Number.MAX_SAFE_INTEGER) {
  const signals = { busy: 0, connected: true, backlogAgeMs: 0, capacityUsed: 0 };
  const kinds: Record<string, DeviceKind> = { meter: 'modbus', counter: 'people-counter', sensor: 'mqtt' };
  const changes: OverloadStatus[] = [];
  let shed = 0;
  const guard = new OverloadGuard({
    signals: {
      connected: () => signals.connected,
      backlogAgeMs: () => signals.backlogAgeMs,
      capacityUsed: () => signals.capacityUsed,
      commitBusyMs: () => signals.busy,
      kindOf: (d) => kinds[d],
    },
    log: silentLogger(),
    onChange: (s) => changes.push(s),
    onShed: (n) => {
      shed += n;
    },
    memoryLimitBytes,
  });
  const poll = (device: string): RawSample[] => Array.from({ length: 10 }, (_, i) => ({ device, point: `r${i}`, ts: Date.now(), raw: i }));
  const admitted = (device: string, polls: number) => Array.from({ length: polls }, () => guard.admit(poll(device))).filter(Boolean).length;
  return { guard, signals, changes, shed: () => shed, admitted };
}

describe('the overload guard', () => {
  it('keeps every poll while calm', () => {
    const { guard, changes, admitted } = setup();
    guard.tick();
    expect(admitted('meter', 100)).toBe(100);
    expect(changes).toEqual([]);
    expect(guard.status()).toMatchObject({ overloaded: false, keepOneIn: 1, shed: 0 });
  });

  it('when the uplink falls behind while connected: says so once, thins low-priority polls with counts, never the people counters, and recovers step by step', () => {
    const { guard, signals, changes, shed, admitted } = setup();
    signals.backlogAgeMs = 60_000;
    // Ten ticks to see that the backlog does not get younger (not a drain), then two overloaded ones.
    for (let i = 0; i < 12; i++) guard.tick();
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ overloaded: true, keepOneIn: 2 });
    expect(changes[0]!.reason).toMatch(/uplink is 60 s behind and not catching up/);
    expect(changes[0]!.cause).toEqual({ code: 'uplink', value: 60 }); // what the dashboard says in the technician's language
    expect(guard.status().keepOneIn).toBe(4);
    expect(admitted('meter', 100)).toBe(25);
    expect(admitted('counter', 100)).toBe(100);
    expect(admitted('sensor', 100)).toBe(100); // pushed and acknowledged: never thinned
    expect(shed()).toBe(75 * 10);
    expect(guard.status().shed).toBe(750);
    // The dashboard's lists: the meter thinned with its count, nothing else.
    expect(guard.report()).toMatchObject({ stretchedDevices: [], thinnedDevices: [{ device: 'meter', dropped: 750 }] });

    signals.backlogAgeMs = 0;
    for (let i = 0; i < 5; i++) guard.tick();
    expect(guard.status()).toMatchObject({ overloaded: true, keepOneIn: 2 });
    for (let i = 0; i < 5; i++) guard.tick();
    expect(guard.status()).toMatchObject({ overloaded: false, keepOneIn: 1 });
    expect(changes.at(-1)).toMatchObject({ overloaded: false, shed: 750 });
    expect(changes.at(-1)!.cause).toBeUndefined();
    expect(guard.report()).toMatchObject({ shed: 750, stretchedDevices: [], thinnedDevices: [] });
    expect(admitted('meter', 10)).toBe(10);
  });

  it('a drain after an outage is not overload: a backlog that gets younger while connected thins nothing', () => {
    const { guard, signals, changes } = setup();
    // Reconnected after a 10-minute outage: the oldest reading waiting is 600 s old and the
    // backlog drains (the oldest goes first), here 20 s of age a second.
    for (let age = 600_000; age > 0; age -= 20_000) {
      signals.backlogAgeMs = age;
      guard.tick();
    }
    expect(changes).toEqual([]);
    expect(guard.status()).toMatchObject({ overloaded: false, keepOneIn: 1, shed: 0 });
  });

  it('an outage is not overload: an old backlog while disconnected thins nothing', () => {
    const { guard, signals, changes } = setup();
    signals.connected = false;
    signals.backlogAgeMs = 600_000;
    guard.tick();
    expect(changes).toEqual([]);
  });

  it('sees storage that cannot keep up for 3 s in a row (not one slow second), and memory near the limit', () => {
    const storage = setup();
    storage.guard.start();
    // More commit time than wall time in a tick; one or two such seconds are not overload.
    for (const expected of [0, 0]) {
      storage.signals.busy += 1e9;
      storage.guard.tick();
      expect(storage.changes).toHaveLength(expected);
    }
    storage.signals.busy += 0; // a calm tick starts the count again
    storage.guard.tick();
    for (let i = 0; i < 3; i++) {
      storage.signals.busy += 1e9;
      storage.guard.tick();
    }
    storage.guard.stop();
    expect(storage.changes).toHaveLength(1);
    expect(storage.changes[0]?.reason).toMatch(/committing/);
    expect(storage.changes[0]?.cause?.code).toBe('storage');
    const memory = setup(1024 * 1024);
    memory.guard.tick();
    expect(memory.changes[0]?.reason).toMatch(/memory \d+ MiB is over 80 % of the limit \(1 MiB\)/);
    expect(memory.changes[0]?.cause).toMatchObject({ code: 'memory', limit: 1 });
  });
});

describe('the overload guard as the gateway wires it (composition/overload.ts)', () => {
  it('publishes the state as an overload begins and as it ends, at most one per 5 s: a change within them is published once they passed', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const clock = new ManualClock(Date.parse('2026-11-30T03:00:00Z'));
      let used = 0.95; // share of the outbox in use: over 0.9 while connected is overload
      const published: number[] = [];
      const events: string[] = [];
      const stats = () => ({ events: { count: 0, bytes: 0 }, telemetry: { count: 1, bytes: used * 1000 }, capacityBytes: 1000 });
      const guard = createOverloadGuard({
        outbox: { stats, commitBusyMs: () => 0 } as unknown as SqliteOutbox,
        devices: { config: () => undefined } as unknown as DeviceManager,
        dropReporter: { add: () => {} } as unknown as DropReporter,
        uplink: () => ({ status: { connected: true }, publishState: () => published.push(clock.monotonic()) }) as unknown as Uplink,
        metrics: new GatewayMetrics(),
        clock,
        log: silentLogger(),
        raise: (e) => {
          events.push(e.state);
          return 'id';
        },
      });
      const flap = () => {
        used = 0.95;
        guard.tick(); // begins
        used = 0;
        for (let i = 0; i < 5; i++) guard.tick(); // calm: the factor halves back to 1, it ends
      };
      flap();
      expect(events).toEqual(['active', 'cleared']);
      expect(published).toEqual([0]); // the end came within 5 s of the beginning: it waits
      flap(); // begins and ends again at once: still one waiting publish, with the latest figures
      expect(events).toEqual(['active', 'cleared', 'active', 'cleared']);
      expect(published).toEqual([0]);
      clock.advance(5000);
      vi.advanceTimersByTime(5000);
      expect(published).toEqual([0, 5000]);
      flap();
      clock.advance(5000);
      vi.advanceTimersByTime(5000);
      expect(published).toEqual([0, 5000, 10_000]);
    } finally {
      vi.useRealTimers();
    }
  });
});
