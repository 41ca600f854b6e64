import { afterEach, describe, expect, it } from 'vitest';
import { eventsOf, type Harness, poll, startHarness, subscribed } from './sim-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const stats = (id: string) => h!.driver.stats().find((s) => s.device === id)!;

describe('ONVIF driver under simulator faults', () => {
  it('renews before a short termination time and never loses the subscription', async () => {
    h = await startHarness({ cameras: 1 });
    await h.set.setFaults('cam-001', { maxTerminationMs: 3000 });
    await subscribed(h, 'cam-001');
    await poll(() => (stats('cam-001').subscription?.renewals ?? 0) >= 3, 'three renewals');
    expect(stats('cam-001').subscription).toMatchObject({ state: 'active', resubscribes: 0 });
    h.set.emit('cam-001', 'fireworks');
    await h.ctx.until(() => eventsOf(h!, 'cam-001', 'fireworks').length === 1, 10_000, 'event');
  });

  it('resubscribes after the camera kills its subscriptions, with SetSynchronizationPoint not repeating active conditions', async () => {
    h = await startHarness({ cameras: 2 });
    await subscribed(h, 'cam-001');
    h.set.emit('cam-001', 'intrusion', { on: true });
    await h.ctx.until(() => eventsOf(h!, 'cam-001', 'intrusion').length === 1, 10_000, 'intrusion active');
    h.set.killSubscriptions('cam-001');
    await subscribed(h, 'cam-001', 1);
    // The camera replays IsInside=true as Initialized; it was already active, so no second event.
    h.set.emit('cam-001', 'intrusion', { on: false });
    await h.ctx.until(() => eventsOf(h!, 'cam-001', 'intrusion').length === 2, 10_000, 'intrusion cleared');
    expect(eventsOf(h, 'cam-001', 'intrusion').map((e) => e.state)).toEqual(['active', 'cleared']);
    expect(stats('cam-001').subscription!.resubscribes).toBe(1);
    expect(stats('cam-002').subscription!.resubscribes).toBe(0);
    // A single lost subscription does not flip the device's status.
    expect(h.ctx.recorded.statuses.filter((s) => s.device === 'cam-001').every((s) => s.status === 'online')).toBe(true);
  });

  it('marks an unreachable camera offline and brings it back; the other camera never waits', async () => {
    h = await startHarness({ cameras: 2 });
    await subscribed(h, 'cam-001');
    await subscribed(h, 'cam-002');
    await h.set.setFaults('cam-001', { offline: true });
    await h.ctx.until(() => h!.ctx.lastStatus('cam-001')?.status === 'offline', 20_000, 'offline');
    expect(h.ctx.lastStatus('cam-001')).toMatchObject({ error: expect.stringMatching(/unreachable|did not answer/), meta: { reason: 'unreachable' } });
    h.set.emit('cam-002', 'line-crossed');
    await h.ctx.until(() => eventsOf(h!, 'cam-002', 'line.crossed').length === 1, 10_000, 'cam-002 unaffected');
    await h.set.setFaults('cam-001', { offline: false });
    await h.ctx.until(() => h!.ctx.lastStatus('cam-001')?.status === 'online', 30_000, 'back online');
    await subscribed(h, 'cam-001', 1);
    // Back from unreachable, the camera may have rebooted: its model is read again.
    await poll(() => stats('cam-001').connects === 2, 'model re-read');
    h.set.emit('cam-001', 'line-crossed');
    await h.ctx.until(() => eventsOf(h!, 'cam-001', 'line.crossed').length === 1, 10_000, 'cam-001 events again');
  });

  it('treats answers slower than the request timeout as unreachable, isolated to that camera', async () => {
    h = await startHarness({ cameras: 2 });
    await subscribed(h, 'cam-002');
    await h.set.setFaults('cam-001', { slowMs: 3000 });
    await h.ctx.until(() => h!.ctx.lastStatus('cam-001')?.meta?.reason === 'unreachable', 20_000, 'slow camera offline');
    expect(h.ctx.lastStatus('cam-001')!.error).toMatch(/did not answer in 1000 ms/);
    h.set.emit('cam-002', 'fireworks');
    await h.ctx.until(() => eventsOf(h!, 'cam-002', 'fireworks').length === 1, 10_000, 'fast camera unaffected');
  });

  it('refuses malformed and hostile XML from one camera only (E_ONVIF_XML)', async () => {
    h = await startHarness({ cameras: 3 });
    await subscribed(h, 'cam-003');
    await h.set.setFaults('cam-001', { malformed: 'billion-laughs' });
    await h.set.setFaults('cam-002', { malformed: 'truncated' });
    h.set.killSubscriptions('cam-001');
    h.set.killSubscriptions('cam-002');
    await poll(
      () => stats('cam-001').subscription?.lastErrorCode === 'E_ONVIF_XML' && stats('cam-002').subscription?.lastErrorCode === 'E_ONVIF_XML',
      'XML errors recorded',
    );
    expect(stats('cam-001').subscription!.lastError).toMatch(/DOCTYPE or ENTITY/);
    expect(stats('cam-002').subscription!.lastError).toMatch(/not well-formed/);
    h.set.emit('cam-003', 'smoke');
    await h.ctx.until(() => eventsOf(h!, 'cam-003', 'fire.smoke').length === 1, 10_000, 'healthy camera unaffected');
  });

  it('reports a camera that answers malformed XML from the start as error (protocol)', async () => {
    h = await startHarness({ cameras: 0, nvrChannels: 2 });
    await h.set.setFaults('nvr-01', { malformed: 'xxe' });
    await h.driver.removeDevice('nvr-01');
    await h.driver.addDevice(h.config('nvr-01'));
    await h.ctx.until(() => h!.ctx.lastStatus('nvr-01')?.meta?.reason === 'protocol', 10_000, 'protocol error');
    expect(h.ctx.lastStatus('nvr-01')).toMatchObject({ status: 'error', error: expect.stringMatching(/DOCTYPE/) });
  });

  it('detects a hung pull-point and resubscribes', async () => {
    h = await startHarness({ cameras: 1 });
    await subscribed(h, 'cam-001');
    await h.set.setFaults('cam-001', { hangPulls: true });
    await poll(() => stats('cam-001').subscription?.lastErrorCode === 'E_ONVIF_SUBSCRIPTION', 'hung pull detected');
    expect(stats('cam-001').subscription!.lastError).toMatch(/held past its/);
    await h.set.setFaults('cam-001', { hangPulls: false });
    await subscribed(h, 'cam-001', 1);
  }, 120_000); // two late pulls in a row before a hang counts

  it('pulls the same pull-point again after one late answer, keeping what the camera queued', async () => {
    h = await startHarness({ cameras: 1 });
    await subscribed(h, 'cam-001');
    await h.set.setFaults('cam-001', { hangPulls: true });
    h.set.emit('cam-001', 'line-crossed', { objectId: 'queued-while-late' });
    await poll(() => stats('cam-001').subscription?.lastErrorCode === 'E_ONVIF_TIMEOUT', 'one late pull seen');
    await h.set.setFaults('cam-001', { hangPulls: false });
    await h.ctx.until(() => eventsOf(h!, 'cam-001', 'line.crossed').some((e) => e.data?.objectId === 'queued-while-late'), 20_000, 'the queued crossing');
    expect(stats('cam-001').subscription).toMatchObject({ resubscribes: 0, lost: 0, open: 1 });
  }, 120_000);

  it('resubscribes a silently dead subscription after the silence limit', async () => {
    h = await startHarness({ cameras: 1 }, { events: { silenceMs: 3000 } });
    await subscribed(h, 'cam-001');
    await h.set.setFaults('cam-001', { silentSubscriptions: true });
    await poll(() => /no notification for/.test(stats('cam-001').subscription?.lastError ?? ''), 'silence detected');
    await h.set.setFaults('cam-001', { silentSubscriptions: false });
    await subscribed(h, 'cam-001', 1);
    h.set.emit('cam-001', 'fireworks');
    await h.ctx.until(() => eventsOf(h!, 'cam-001', 'fireworks').length === 1, 10_000, 'events after silence');
  });

  it('reports NotAuthorized that persists as auth-failed', async () => {
    h = await startHarness({ cameras: 1 });
    await subscribed(h, 'cam-001');
    await h.set.setFaults('cam-001', { notAuthorized: true });
    h.set.killSubscriptions('cam-001');
    await h.ctx.until(() => h!.ctx.lastStatus('cam-001')?.meta?.reason === 'auth-failed', 30_000, 'auth-failed');
    expect(h.ctx.lastStatus('cam-001')!.status).toBe('offline');
  });

  it('unsubscribes on shutdown', async () => {
    h = await startHarness({ cameras: 3 });
    for (const id of ['cam-001', 'cam-002', 'cam-003']) await subscribed(h, id);
    expect(h.set.cameras.map((c) => c.store.size)).toEqual([1, 1, 1]);
    await h.driver.stop(AbortSignal.timeout(5000));
    expect(h.set.cameras.map((c) => c.store.size)).toEqual([0, 0, 0]);
    expect(h.set.cameras.map((c) => c.counters.unsubscribes)).toEqual([1, 1, 1]);
  });
});
