import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Gateway } from '../../gateway/daemon.js';
import { type PlatformBroker, startPlatformBroker } from '../../simulators/platform/platform-broker.js';
import { startGateway, tempDir, testConfig } from '../helpers/gateway-harness.js';
import { PlatformRecorder } from '../helpers/platform.js';

describe('a platform outage', () => {
  const tmp = tempDir();
  let broker: PlatformBroker;
  let gateway: Gateway;
  const recorders: PlatformRecorder[] = [];

  afterAll(async () => {
    await gateway?.stop();
    for (const r of recorders) await r.stop();
    await broker?.stop();
    tmp.cleanup();
  });

  it('piles data up in the outbox and delivers all of it afterwards, each lane in order, events first', async () => {
    broker = await startPlatformBroker();
    const port = broker.port;
    const before = new PlatformRecorder(broker.url);
    recorders.push(before);
    await before.start();
    const config = testConfig(broker.url, tmp.dir);
    // More events pile up than the events window (32) holds: events-first must hold beyond it.
    (config.devices![0] as { events: unknown[] }).events = [
      { type: 'crowd.density', everyMs: 50 },
      { type: 'loitering', everyMs: 50, pulse: true },
    ];
    config.platform = { url: broker.url, reconnect: { minDelayMs: 200, maxDelayMs: 1000 }, stateIntervalMs: 1000 };
    gateway = await startGateway(config);
    const accepted = { readings: new Set<string>(), events: new Set<string>() };
    gateway.bus.on('readings', (rs) => {
      for (const r of rs) accepted.readings.add(r.id);
    });
    gateway.bus.on('event', (e) => accepted.events.add(e.id));
    await before.until(() => before.readings().length > 20);

    // What the gateway accepted before the broker went away may have been acknowledged by the
    // broker and lost with it (aedes keeps nothing); what it accepts during the outage must arrive.
    const acceptedBeforeOutage = { readings: new Set(accepted.readings), events: new Set(accepted.events) };
    await broker.stop();
    // This recorder would reconnect to the new broker by itself; it has seen its part.
    await before.stop();
    // Let a backlog build up while the platform is away.
    await vi.waitFor(
      () => {
        const waiting = gateway.status().outbox;
        expect(waiting.telemetry.count).toBeGreaterThan(50);
        expect(waiting.events.count).toBeGreaterThan(40);
        expect([...accepted.readings].filter((id) => !acceptedBeforeOutage.readings.has(id)).length).toBeGreaterThan(50);
      },
      { timeout: 30_000, interval: 100 },
    );
    // What the gateway still holds unacknowledged: everything from here on must reach the platform.
    const db = new Database(join(tmp.dir, 'gridgate.db'), { readonly: true });
    const firstUnacked = {
      event: db.prepare('SELECT min(seq) FROM events').pluck().get() as number,
      telemetry: (db.prepare('SELECT min(seq) FROM batches').pluck().get() as number | null) ?? Number.POSITIVE_INFINITY,
    };
    db.close();
    const backlog = gateway.status().outbox;
    expect(backlog.telemetry.count).toBeGreaterThan(50);
    expect(backlog.events.count).toBeGreaterThan(40);
    const acceptedDuringOutage = {
      readings: new Set([...accepted.readings].filter((id) => !acceptedBeforeOutage.readings.has(id))),
      events: new Set([...accepted.events].filter((id) => !acceptedBeforeOutage.events.has(id))),
    };
    expect(acceptedDuringOutage.readings.size).toBeGreaterThan(50);
    const lastEventSeqBeforeReturn = backlog.nextSeq.events - 1;

    // The gateway is let in only once the platform's recorder has subscribed.
    let recorderReady = false;
    broker = await startPlatformBroker({ port, admit: (id) => id !== 'gw-test-01' || recorderReady });
    const after = new PlatformRecorder(broker.url);
    recorders.push(after);
    await after.start();
    recorderReady = true;
    const received = () => new Set([...before.readings(), ...after.readings()].map((r) => r.id));
    const receivedEvents = () => new Set([...before.events(), ...after.events()].map((e) => e.id));
    await after.until(
      () => [...acceptedDuringOutage.readings].every((id) => received().has(id)) && [...acceptedDuringOutage.events].every((id) => receivedEvents().has(id)),
      20_000,
      'the backlog to arrive',
    );

    // Each lane in order and without gaps from the first message the broker had not acknowledged.
    // (A message the dying broker acknowledged but had not forwarded is its loss: aedes keeps nothing.)
    for (const kind of ['event', 'telemetry'] as const) {
      const afterSeqs = after.of(kind).map((m) => m.doc.seq as number);
      expect(afterSeqs).toEqual([...afterSeqs].sort((a, b) => a - b));
      const unique = [...new Set(afterSeqs)];
      expect(unique[0]).toBeLessThanOrEqual(firstUnacked[kind]);
      expect(unique).toEqual(unique.map((_, i) => unique[0]! + i));
    }
    // Events first: the whole event backlog arrived before the first telemetry batch.
    const firstTelemetry = after.messages.findIndex((m) => m.kind === 'telemetry');
    const lastBacklogEvent = after.messages.findIndex((m) => m.kind === 'event' && m.doc.seq === lastEventSeqBeforeReturn);
    expect(lastBacklogEvent).toBeGreaterThanOrEqual(0);
    expect(lastBacklogEvent).toBeLessThan(firstTelemetry);
    expect(after.of('state')[0]!.doc.online).toBe(true);
  });
});
