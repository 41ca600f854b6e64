import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EventPictures } from '../../gateway/ui/event-pictures.js';
import { PointTrend } from '../../gateway/ui/point-trend.js';
import { ZoneHistory } from '../../gateway/ui/zone-history.js';
import { FIELD_PASSWORD, startFieldSite, testJpeg, ZONE } from './field-fixture.js';
import { UiClient, type UiHarness } from './ui-harness.js';

describe('zone history, trends and pictures: bounded and ordered', () => {
  it('keeps 1-minute buckets for a day and 10 s buckets for an hour, highest value per bucket, late samples in place', () => {
    const z = new ZoneHistory();
    const now = Date.UTC(2026, 11, 31, 16, 0, 0);
    for (let i = 0; i < 3000; i++) z.record('a', 'occupancy', i, now - (3000 - i) * 30_000);
    const day = z.history('a', 'day', now);
    expect(day.bucketMs).toBe(60_000);
    expect(day.samples.length).toBeLessThanOrEqual(1440);
    expect(day.samples.length).toBeGreaterThan(1400);
    // Two samples a minute: the bucket keeps the higher one.
    expect(day.samples.at(-1)!.max).toBe(2999);
    const hour = z.history('a', 'hour', now);
    expect(hour.samples.every((s) => s.at >= now - 3_600_000)).toBe(true);
    // A late sample lands in its own (older) bucket, in time order.
    z.record('a', 'occupancy', 99_999, now - 90 * 60_000 + 5);
    const again = z.history('a', 'day', now).samples;
    expect(again.map((s) => s.at)).toEqual([...again.map((s) => s.at)].sort((a, b) => a - b));
    expect(again.find((s) => s.at === Math.floor((now - 90 * 60_000) / 60_000) * 60_000)!.max).toBe(99_999);
  });

  it('takes only the zone engine readings, inflow and outflow with their occupancy sample', () => {
    const z = new ZoneHistory();
    const ts = new Date().toISOString();
    z.onReadings([
      { device: 'zone.sq', point: 'occupancy', value: 120, ts },
      { device: 'zone.sq', point: 'inflow', value: 30, ts },
      { device: 'zone.sq', point: 'outflow', value: 4, ts },
      { device: 'cam-1', point: 'occupancy', value: 9999, ts },
      { device: 'zone.sq', point: 'occupancy', value: 'bad' as unknown as number, ts },
    ]);
    expect(z.history('sq', 'hour').samples).toMatchObject([{ max: 120, last: 120, inflow: 30, outflow: 4 }]);
    expect(z.history('cam-1', 'hour').samples).toEqual([]);
  });

  it('bounds the trend per point and the pictures by count and bytes', () => {
    const trend = new PointTrend({ perPoint: 5, minGapMs: 1000, spanMs: 60_000, maxPoints: 2 });
    const t0 = Date.now() - 30_000;
    for (let i = 0; i < 20; i++) trend.onReadings([{ device: 'd', point: 'p', value: i, ts: new Date(t0 + i * 1000).toISOString() }]);
    trend.onReadings([
      { device: 'd', point: 'q', value: 1, ts: new Date().toISOString() },
      { device: 'd', point: 'r', value: 1, ts: new Date().toISOString() },
    ]);
    const d = trend.forDevice('d');
    expect(d.p!.map(([, v]) => v)).toEqual([15, 16, 17, 18, 19]);
    expect(Object.keys(d).sort()).toEqual(['p', 'q']);
    const pictures = new EventPictures({ maxCount: 3, maxBytes: 10 });
    for (const id of ['a', 'b', 'c', 'd']) pictures.add(id, Buffer.alloc(3));
    expect(['a', 'b', 'c', 'd'].map((id) => pictures.has(id))).toEqual([false, true, true, true]);
    pictures.add('e', Buffer.alloc(9));
    expect(['b', 'c', 'd', 'e'].map((id) => pictures.has(id))).toEqual([false, false, false, true]);
  });
});

describe('field API on a running gateway', () => {
  let h: UiHarness;
  let admin: UiClient;

  beforeAll(async () => {
    ({ h, admin } = await startFieldSite());
  });
  afterAll(async () => h?.stop());

  it('zones: headcount, flow, the highest active level, thresholds of the mode and the history', async () => {
    await vi.waitFor(async () => expect((await admin.get('/api/ui/zones')).body.zones[0].level).toBe(3), { timeout: 30_000, interval: 200 });
    const { zones, mode } = (await admin.get('/api/ui/zones')).body;
    expect(mode).toBe('normal');
    expect(zones[0]).toMatchObject({ zone: ZONE, name: '二七广场', level: 3, levelSeverity: 'minor', mode: 'normal' });
    expect(zones[0].thresholds.map((t: { level: number }) => t.level)).toEqual([3, 2, 1]);
    // Level 3 (at 300) stays active down to 300 − hysteresis 100.
    expect(zones[0].occupancy).toBeGreaterThanOrEqual(200);
    const hist = (await admin.get(`/api/ui/zones/${ZONE}/history?range=hour`)).body;
    expect(hist.t.length).toBeGreaterThan(0);
    expect(hist.t.length).toBe(hist.max.length);
    expect((await admin.get(`/api/ui/zones/${ZONE}/history?range=week`)).status).toBe(400);
    expect((await admin.get('/api/ui/zones/nowhere/history')).status).toBe(404);
  });

  it("the devices list carries what each device had refused, by reason (issue 10: also on the UI's device page)", async () => {
    const id = (await admin.get('/api/ui/devices')).body.devices[0].id as string;
    h.gateway().rejections.add(id, 'duplicate-key');
    h.gateway().rejections.add(id, 'duplicate-key');
    h.gateway().rejections.add(id, 'stale-time');
    const device = (await admin.get('/api/ui/devices')).body.devices.find((d: { id: string }) => d.id === id);
    expect(device.rejected).toEqual({ 'duplicate-key': 2, 'stale-time': 1 });
  });

  it('event pictures are served only with a session', async () => {
    const jpeg = testJpeg();
    const id = h.gateway().raiseEvent({ type: 'fire.smoke', state: 'pulse', severity: 'critical', source: { device: 'gate-1' }, message: 'smoke' }, jpeg)!;
    const res = await fetch(`${h.url}/api/ui/events/${id}/picture`, { headers: { cookie: admin.cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await res.arrayBuffer()).equals(jpeg)).toBe(true);
    expect((await fetch(`${h.url}/api/ui/events/${id}/picture`)).status).toBe(401);
    expect((await admin.get('/api/ui/events/01J000000000000000000000/picture')).status).toBe(404);
    const recent = (await admin.get('/api/ui/events/recent')).body.events;
    expect(recent.find((e: { id: string }) => e.id === id)).toMatchObject({ picture: true });
  });

  it('acknowledging an alarm: technician or more, CSRF-checked, bad input refused, audited; never clears the alarm', async () => {
    const { alarms } = (await admin.get('/api/ui/alarms')).body;
    const alarm = alarms.find((a: { type: string }) => a.type === 'crowd.threshold');
    expect(alarm.ack).toBeUndefined();
    expect((await admin.post('/api/ui/alarms/ack', { key: 42 })).status).toBe(400);
    expect((await admin.post('/api/ui/alarms/ack', { key: alarm.alarmKey, note: 'x'.repeat(501) })).status).toBe(400);
    expect((await admin.post('/api/ui/alarms/ack', { key: 'zone:nowhere:level-1' })).status).toBe(404);
    expect((await admin.request('POST', '/api/ui/alarms/ack', { key: alarm.alarmKey }, { 'x-csrf-token': 'wrong' })).status).toBe(403);
    const viewer = new UiClient(h.url);
    expect((await admin.post('/api/ui/users', { name: 'watcher', role: 'viewer', password: FIELD_PASSWORD })).status).toBe(200);
    await viewer.login('watcher', FIELD_PASSWORD);
    expect((await viewer.post('/api/ui/alarms/ack', { key: alarm.alarmKey })).status).toBe(403);
    const ok = await admin.post('/api/ui/alarms/ack', { key: alarm.alarmKey, note: '已派人疏导' });
    expect(ok.status).toBe(200);
    const after = (await admin.get('/api/ui/alarms')).body.alarms.find((a: { alarmKey: string }) => a.alarmKey === alarm.alarmKey);
    expect(after.ack).toMatchObject({ by: 'admin', note: '已派人疏导' });
    const audit = (await admin.get('/api/ui/audit?limit=20')).body.entries;
    expect(audit.find((e: { action: string; outcome: string }) => e.action === 'alarm.ack' && e.outcome === 'ok')).toMatchObject({
      who: 'admin',
      target: alarm.alarmKey,
    });
    expect(audit.some((e: { action: string; outcome: string }) => e.action === 'alarm.ack' && e.outcome === 'refused')).toBe(true);
  });

  it('profiles for the picker, trends and a read through the running driver', async () => {
    const { profiles } = (await admin.get('/api/ui/profiles')).body;
    const counter = profiles.find((p: { name: string }) => p.name === 'synthetic-people-counter');
    expect(counter).toMatchObject({ driver: 'synthetic', kind: 'people-counter' });
    expect(counter.points.map((p: { name: string }) => p.name)).toEqual(['people.in', 'people.out']);
    await vi.waitFor(async () => expect((await admin.get('/api/ui/values/env-1/trend')).body.points.temperature?.length).toBeGreaterThan(0), {
      timeout: 20_000,
      interval: 250,
    });
    const read = await admin.post('/api/ui/values/env-1/temperature/read');
    expect(read.status).toBe(200);
    expect(typeof read.body.reading.value).toBe('number');
    expect((await admin.post('/api/ui/values/env-1/nothing/read')).body.error.code).toBe('E_UNKNOWN_POINT');
  });

  it('each user language is kept on the box; only the two languages; CSRF-checked', async () => {
    expect((await admin.get('/api/ui/prefs')).body).toEqual({});
    expect((await admin.request('PUT', '/api/ui/prefs', { lang: 'fr' })).status).toBe(400);
    expect((await admin.request('PUT', '/api/ui/prefs', { lang: 'en' }, { 'x-csrf-token': 'wrong' })).status).toBe(403);
    expect((await admin.request('PUT', '/api/ui/prefs', { lang: 'zh-CN' })).body).toEqual({ lang: 'zh-CN' });
    expect((await admin.get('/api/ui/prefs')).body).toEqual({ lang: 'zh-CN' });
    // Another user's choice is their own.
    const other = new UiClient(h.url);
    expect((await admin.post('/api/ui/users', { name: 'night', role: 'technician', password: FIELD_PASSWORD })).status).toBe(200);
    await other.login('night', FIELD_PASSWORD);
    expect((await other.get('/api/ui/prefs')).body).toEqual({});
    expect((await new UiClient(h.url).get('/api/ui/prefs')).status).toBe(401);
  });

  it('the libraries are served from this box', async () => {
    for (const lib of ['i18next.js', 'uplot.js', 'uplot.css']) expect((await fetch(`${h.url}/ui/vendor/lib/${lib}`)).status).toBe(200);
    expect((await fetch(`${h.url}/ui/vendor/lib/../../package.json`)).status).toBe(404);
    expect((await fetch(`${h.url}/ui/vendor/lib/evil.js`)).status).toBe(404);
  });
});
