import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventHolds, HELD_AT_STOP, resendHeldEvents } from '../../gateway/composition/held-events.js';
import { TypedBus } from '../../gateway/core/bus.js';
import { ManualClock } from '../../gateway/core/clock.js';
import { createIdFactory } from '../../gateway/core/ids.js';
import { silentLogger } from '../../gateway/core/logger.js';
import type { GatewayEvent } from '../../gateway/core/model.js';
import { gatewayConfigSchema } from '../../gateway/config/schema/gateway-config.js';
import type { DriverEvent } from '../../gateway/devices/driver.js';
import { SqliteOutbox } from '../../gateway/outbox/sqlite-outbox.js';
import type { GatewayBusEvents } from '../../gateway/pipeline/bus-events.js';
import { EventFactory } from '../../gateway/pipeline/event-factory.js';
import { EventGate } from '../../gateway/rules/event-gate.js';
import { openGatewayDatabase } from '../../gateway/storage/sqlite-database.js';
import { SqliteHeldEvents } from '../../gateway/storage/sqlite-held-events.js';
import { tempDir } from '../helpers/gateway-harness.js';

/**
 * The held-events journal (storage/sqlite-held-events.ts): an event waiting for its picture is
 * either in the journal or in the outbox, never both and never neither, and what a killed run
 * held is sent once at the next start.
 */
const clock = new ManualClock(Date.parse('2026-12-31T15:00:00.000Z'));
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function open(path: string) {
  const { db } = openGatewayDatabase(path, 'FULL', silentLogger());
  const outbox = new SqliteOutbox({ db, gateway: 'gw', site: 'site', capacityBytes: 16 * 1024 * 1024, log: silentLogger(), clock });
  return { db, outbox, held: new SqliteHeldEvents(db) };
}

function newPath(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return join(t.dir, 'gridgate.db');
}

const crossing: DriverEvent = { device: 'cam-1', type: 'line.crossed', state: 'pulse', severity: 'minor', channel: 1, data: { objectId: 'o-1' } };

function gateOn(held: SqliteHeldEvents, outbox: SqliteOutbox, windowMs: number, picture: () => Promise<Buffer>) {
  const config = gatewayConfigSchema.parse({
    gateway: 'g',
    site: 's',
    platform: { url: 'mqtt://x:1' },
    rules: { suppression: { windowMs } },
    modes: { policies: { normal: { snapshots: ['fireworks'] } } },
  });
  return new EventGate({
    config: () => config,
    events: new EventFactory(createIdFactory(), clock, () => 'normal'),
    clock,
    log: silentLogger(),
    mode: () => 'normal',
    camerasFor: (source) => (source.device ? [source.device] : []),
    snapshot: () => picture(),
    accept: (event, snapshot, heldId) => outbox.appendEvent(event, snapshot, heldId),
    holds: eventHolds(held, () => clock.now()).gate,
  });
}

describe('the held-events journal', () => {
  it('is emptied by the very commit that stores the event', () => {
    const { outbox, held } = open(newPath());
    const id = eventHolds(held, () => clock.now()).driver(crossing);
    expect(held.all()).toHaveLength(1);
    const gate = gateOn(held, outbox, 0, () => Promise.reject(new Error('no camera')));
    gate.raise({ ...crossing, snapshot: undefined, source: { device: 'cam-1', channel: 1 } }, undefined, id);
    // Accepted, not yet committed: still held.
    expect(held.all()).toHaveLength(1);
    outbox.flush();
    expect(held.all()).toHaveLength(0);
    expect(outbox.readEvents(0, 10).map((e) => JSON.parse(e.payload).type)).toEqual(['line.crossed']);
    outbox.close();
  });

  it('keeps what a killed run held, and the next start sends it once, without a picture, keeping its time', () => {
    const path = newPath();
    const first = open(path);
    const happened = clock.now();
    eventHolds(first.held, () => clock.now()).driver({ ...crossing, ts: undefined });
    // kill -9: nothing more of the first run.
    first.db.close();

    clock.advance(60_000);
    const second = open(path);
    const bus = new TypedBus<GatewayBusEvents>(silentLogger());
    const gate = gateOn(second.held, second.outbox, 0, () => Promise.reject(new Error('no camera')));
    bus.on('driver-event', (e) => {
      const { heldId, ...rest } = e;
      gate.raise({ ...rest, snapshot: undefined, source: { device: e.device, channel: e.channel } }, undefined, heldId);
    });
    const sent = resendHeldEvents(second.held, { bus, accept: (e, s, h) => second.outbox.appendEvent(e, s, h), log: silentLogger() });
    expect(sent).toBe(1);
    second.outbox.flush();
    const stored = second.outbox.readEvents(0, 10).map((e) => JSON.parse(e.payload));
    expect(stored).toHaveLength(1);
    expect(stored[0].data).toEqual({ objectId: 'o-1', snapshotSkipped: HELD_AT_STOP });
    expect(Date.parse(stored[0].ts)).toBe(happened);
    expect(second.held.all()).toHaveLength(0);
    second.outbox.close();

    // And a third start finds nothing to send again.
    const third = open(path);
    expect(third.held.all()).toHaveLength(0);
    third.outbox.close();
  });

  it('is released when the gate suppresses the held event', () => {
    const { outbox, held } = open(newPath());
    const gate = gateOn(held, outbox, 10_000, () => Promise.reject(new Error('no camera')));
    const holds = eventHolds(held, () => clock.now());
    const input = { type: 'tamper', state: 'active' as const, source: { device: 'cam-1' } };
    gate.raise(input, undefined, holds.driver({ device: 'cam-1', type: 'tamper', state: 'active' }));
    gate.raise(input, undefined, holds.driver({ device: 'cam-1', type: 'tamper', state: 'active' }));
    outbox.flush();
    expect(outbox.readEvents(0, 10)).toHaveLength(1);
    expect(held.all()).toHaveLength(0);
    outbox.close();
  });

  it("holds an event the gate itself fetches a picture for (the mode's policy), until it is stored", async () => {
    const { outbox, held } = open(newPath());
    let answer!: (b: Buffer) => void;
    const gate = gateOn(held, outbox, 0, () => new Promise<Buffer>((r) => (answer = r)));
    gate.raise({ type: 'fireworks', state: 'pulse', severity: 'major', source: { device: 'cam-7' } });
    const rows = held.all();
    expect(rows.map((r) => [r.stage, (JSON.parse(r.body) as GatewayEvent).type])).toEqual([['gate', 'fireworks']]);
    answer(Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
    await new Promise((r) => setImmediate(r));
    outbox.flush();
    expect(held.all()).toHaveLength(0);
    const [stored] = outbox.readEvents(0, 10);
    expect(JSON.parse(stored!.payload).snapshot).toEqual({ contentType: 'image/jpeg', bytes: 4 });
    outbox.close();
  });
});
