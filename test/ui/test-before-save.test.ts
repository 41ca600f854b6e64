import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CameraSet, startCameraSet } from '../../simulators/onvif/camera-set.js';
import { settled, startUi, UiClient, type UiHarness } from './ui-harness.js';

const CAMERA = { username: 'gridgate', password: 'cam pass 9 typed' };

/**
 * "Test before saving" resolves passwords as the daemon does: a password typed in the form, and a
 * stored one (kept encrypted by the UI, referenced as an environment variable of the daemon),
 * reach the test's driver — not the process's own environment. Against the ONVIF simulator with
 * WS-Security/digest authentication.
 */
describe('test before save: the same secret resolution as the daemon', () => {
  let set: CameraSet;
  let h: UiHarness;
  let admin: UiClient;
  let url: string;

  beforeAll(async () => {
    set = await startCameraSet({ cameras: 1, credentials: CAMERA, discovery: false, soapAuth: 'ws-security' });
    url = set.devices[0]!.url;
    h = await startUi({ devices: [] });
    admin = new UiClient(h.url);
    await admin.post('/api/ui/setup', { code: h.setupCode(), user: 'admin', password: 'commissioning pw' });
  });
  afterAll(async () => {
    await h?.stop();
    await set?.stop();
  });

  const camera = (password: unknown) => ({ id: 'cam-new', name: 'East gate', kind: 'camera', driver: 'onvif', url, username: CAMERA.username, password });

  it('a typed password is used for the test; a wrong one is refused by the camera', async () => {
    const ok = await admin.post('/api/ui/devices/test', { device: camera({ $secret: CAMERA.password }) });
    expect(ok.status).toBe(200);
    expect(ok.body.errors.join(' ')).not.toMatch(/E_SECRET_UNAVAILABLE|is not set/);
    expect(ok.body.status?.status, JSON.stringify(ok.body)).toBe('online');
    const wrong = await admin.post('/api/ui/devices/test', { device: camera({ $secret: 'not the password' }) });
    expect(wrong.body.status?.status).not.toBe('online');
  });

  it('a stored password (saved through the UI) is resolved for a later test of the saved device', async () => {
    const saved = await admin.post('/api/ui/devices', { device: camera({ $secret: CAMERA.password }), reason: 'east gate camera' });
    expect(saved.status).toBe(202);
    expect((await settled(admin, saved.body.version.version)).status).toBe('applied');
    const stored = (await admin.get('/api/ui/devices/cam-new')).body.device;
    // The document keeps a reference only; the daemon's environment holds the value.
    expect(stored.password).toEqual({ env: expect.stringMatching(/^GRIDGATE_SECRET_/) });
    expect(process.env[stored.password.env]).toBeUndefined();
    const again = await admin.post('/api/ui/devices/test', { device: stored });
    expect(again.body.errors.join(' ')).not.toMatch(/E_SECRET_UNAVAILABLE|is not set/);
    expect(again.body.status?.status, JSON.stringify(again.body)).toBe('online');
  });
});
