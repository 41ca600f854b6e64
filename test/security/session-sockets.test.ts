import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { UserStore } from '../../gateway/ui/users.js';
import { startUi, type UiHarness } from '../ui/ui-harness.js';
import { Browser, makeAdmin, type Socket } from './attack-client.js';

const CAMERA = { id: 'cam-1', kind: 'camera', driver: 'synthetic', intervalMs: 1000, points: [{ name: 'online', wave: 'constant', min: 1 }] };
const waitClosed = (s: Socket) => vi.waitFor(() => expect(s.closed?.code).toBe(4401), { timeout: 10_000, interval: 20 });

// Finding 2: an open events websocket kept streaming after logout, and after the admin deleted the user.
describe('attack: keep watching after logout or after being removed', () => {
  let h: UiHarness;
  let admin: Browser;
  beforeAll(async () => {
    // The stream itself does not matter here (a closed port: ffmpeg retries while the socket stays open).
    h = await startUi({ devices: [CAMERA], ui: { socketCheckMs: 200, streamUrl: async () => 'rtsp://127.0.0.1:9/none' } });
    admin = await makeAdmin(h.url, h.setupCode());
  });
  afterAll(async () => h?.stop());

  const vera = async () => {
    expect((await admin.call('POST', '/api/ui/users', { name: 'vera', role: 'viewer', password: 'viewer password 1' })).status).toBe(200);
    const b = new Browser(h.url, '127.0.0.20');
    expect((await b.login('vera', 'viewer password 1')).status).toBe(200);
    const events = await b.socket('/api/ui/ws/events');
    const live = await b.socket('/api/ui/ws/live/cam-1/1');
    await vi.waitFor(() => expect(events.messages).toBeGreaterThan(0));
    expect(events.closed).toBeUndefined();
    expect(live.closed).toBeUndefined();
    return { b, events, live };
  };

  it('logout closes the events and live view sockets at once', async () => {
    const { b, events, live } = await vera();
    const stolen = b.cookie;
    expect((await b.call('POST', '/api/ui/logout', {})).status).toBe(200);
    await waitClosed(events);
    await waitClosed(live);
    expect(events.closed?.reason).toBe('logged out');
    // The old cookie cannot open a new one.
    b.cookie = stolen;
    await waitClosed(await b.socket('/api/ui/ws/events'));
  });

  it('removing the user closes its sockets', async () => {
    const { events, live } = await vera();
    expect((await admin.call('DELETE', '/api/ui/users/vera')).status).toBe(200);
    await waitClosed(events);
    await waitClosed(live);
  });

  it('a password or role change by the admin closes its sockets', async () => {
    let s = await vera();
    expect((await admin.call('POST', '/api/ui/users', { name: 'vera', role: 'viewer', password: 'another password 2' })).status).toBe(200);
    await waitClosed(s.events);
    await waitClosed(s.live);
    s = await vera();
    expect((await admin.call('POST', '/api/ui/users', { name: 'vera', role: 'technician', password: 'viewer password 1' })).status).toBe(200);
    await waitClosed(s.events);
  });

  it('a change from the shell (users.json) closes its sockets within the periodic check', async () => {
    const s = await vera();
    new UserStore(join(h.dir, 'data', 'ui', 'users.json')).setRole('vera', 'technician');
    await waitClosed(s.events);
    await waitClosed(s.live);
    expect((await s.b.call('GET', '/api/ui/dashboard')).status).toBe(401);
    expect(h.ui.context.sockets.count()).toBe(0);
  });
});

describe('attack: open websockets without end on one login', () => {
  let h: UiHarness;
  beforeAll(async () => {
    h = await startUi();
  });
  afterAll(async () => h?.stop());

  it('a login holds at most 16 sockets; the 17th is refused with the reason', async () => {
    const admin = await makeAdmin(h.url, h.setupCode());
    const open = await Promise.all(Array.from({ length: 16 }, () => admin.socket('/api/ui/ws/events')));
    await vi.waitFor(() => expect(open.every((s) => s.messages > 0)).toBe(true));
    expect(open.every((s) => !s.closed)).toBe(true);
    const extra = await admin.socket('/api/ui/ws/events');
    await vi.waitFor(() => expect(extra.closed?.code).toBe(4429));
    expect(extra.closed?.reason).toMatch(/too many open sockets/);
    for (const s of open) s.close();
  });
});

describe('attack: a forgotten tab keeps its socket past the idle timeout', () => {
  let h: UiHarness;
  beforeAll(async () => {
    h = await startUi({ timeouts: { idleMs: 4000, absoluteMs: 60_000 }, ui: { socketCheckMs: 200 } });
  });
  afterAll(async () => h?.stop());

  it('the periodic check ends it when the session expires', async () => {
    const admin = await makeAdmin(h.url, h.setupCode());
    const events = await admin.socket('/api/ui/ws/events');
    expect(events.closed).toBeUndefined();
    // An open socket is not activity: the session idles out and the socket is closed.
    await waitClosed(events);
    expect(events.closed?.reason).toMatch(/session ended/);
    expect((await admin.call('GET', '/api/ui/dashboard')).status).toBe(401);
  });
});
