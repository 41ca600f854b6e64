import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CameraSet, startCameraSet } from '../../simulators/onvif/camera-set.js';

/**
 * The simulator checked by an independent client, node-onvif 0.1.7 (xml2js, its own
 * UsernameToken and HTTP Digest code), so simulator and driver cannot share a misreading.
 * (node-onvif splits user:pass on ':' for digest, so the test password has no colon.)
 */
const require = createRequire(import.meta.url);
interface NodeOnvifDevice {
  init(): Promise<{ Manufacturer: string; Model: string; SerialNumber: string }>;
  getProfileList(): Array<{ token: string; stream: { rtsp: string }; snapshot: string; video: { encoder: { resolution: { width: number } } } }>;
  fetchSnapshot(): Promise<{ headers: Record<string, string>; body: Buffer }>;
  services: { events: unknown; media: unknown };
}
const { OnvifDevice } = require('node-onvif') as { OnvifDevice: new (p: { xaddr: string; user: string; pass: string }) => NodeOnvifDevice };

let set: CameraSet;
beforeAll(async () => {
  set = await startCameraSet({ cameras: 1, nvrChannels: 3, credentials: { username: 'operator', password: 'p@ss-w0rd' } });
});
afterAll(() => set.stop());

describe('simulator conformance with node-onvif', () => {
  it('initializes a camera: date/time, capabilities, information, profiles, stream and snapshot URIs', async () => {
    const cam = new OnvifDevice({ xaddr: set.camera('cam-001').url, user: 'operator', pass: 'p@ss-w0rd' });
    const info = await cam.init();
    expect(info).toMatchObject({ Manufacturer: 'Gridgate Sim', Model: 'GS-IPC-2000', SerialNumber: 'SIM-CAM-001' });
    expect(cam.services.events).toBeTruthy();
    const profiles = cam.getProfileList();
    expect(profiles.map((p) => p.token)).toEqual(['Profile_1_main', 'Profile_1_sub']);
    expect(profiles[0]!.stream.rtsp).toBe('rtsp://127.0.0.1:554/ch1/main');
    expect(profiles[0]!.video.encoder.resolution.width).toBe(1920);
    expect(profiles[0]!.snapshot).toBe(`${set.camera('cam-001').baseUrl}/onvif/snapshot?channel=1`);
  });

  it('fetches a JPEG snapshot through its HTTP Digest client', async () => {
    const cam = new OnvifDevice({ xaddr: set.camera('nvr-01').url, user: 'operator', pass: 'p@ss-w0rd' });
    await cam.init();
    expect(cam.getProfileList()).toHaveLength(6);
    const snap = await cam.fetchSnapshot();
    expect(snap.headers['content-type']).toBe('image/jpeg');
    expect([snap.body[0], snap.body[1]]).toEqual([0xff, 0xd8]);
  });

  it('is refused with a wrong password', async () => {
    const cam = new OnvifDevice({ xaddr: set.camera('cam-001').url, user: 'operator', pass: 'nope' });
    await expect(cam.init()).rejects.toThrow(/NotAuthorized|not Authorized|401/i);
  });
});
