import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClockOffset } from '../../drivers/onvif/device/clock-offset.js';
import { passwordDigest } from '../../drivers/onvif/soap/ws-username-token.js';
import { NS, PASSWORD_DIGEST_TYPE } from '../../drivers/onvif/soap/namespaces.js';
import { SoapClient } from '../../drivers/onvif/transport/soap-client.js';
import { systemClock } from '../../gateway/core/clock.js';
import { type CameraSet, startCameraSet } from '../../simulators/onvif/camera-set.js';
import http from 'node:http';

let set: CameraSet | undefined;
afterEach(async () => {
  await set?.stop();
  set = undefined;
});

/** A raw SOAP POST with a hand-made UsernameToken, to probe the simulator's checks directly. */
async function postWithToken(url: string, created: string, nonce: Buffer, password: string): Promise<number> {
  const token = `<wsse:Security xmlns:wsse="${NS.wsse}" xmlns:wsu="${NS.wsu}"><wsse:UsernameToken><wsse:Username>admin</wsse:Username><wsse:Password Type="${PASSWORD_DIGEST_TYPE}">${passwordDigest(nonce, created, password)}</wsse:Password><wsse:Nonce>${nonce.toString('base64')}</wsse:Nonce><wsu:Created>${created}</wsu:Created></wsse:UsernameToken></wsse:Security>`;
  const body = `<s:Envelope xmlns:s="${NS.soap}" xmlns:tds="${NS.tds}"><s:Header>${token}</s:Header><s:Body><tds:GetDeviceInformation/></s:Body></s:Envelope>`;
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/soap+xml' }, body });
  await res.text();
  return res.status;
}

describe('ONVIF simulator', () => {
  it('checks UsernameToken against its own clock window and refuses a replayed nonce', async () => {
    set = await startCameraSet({ cameras: 1, tokenWindowMs: 5000, soapAuth: 'ws-security', credentials: { username: 'admin', password: 'pw' } });
    const url = set.camera('cam-001').url;
    const now = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    const nonce = Buffer.from('0123456789abcdef');
    expect(await postWithToken(url, now, nonce, 'pw')).toBe(200);
    expect(await postWithToken(url, now, nonce, 'pw')).toBe(400); // replay
    expect(await postWithToken(url, now, Buffer.from('fedcba9876543210'), 'bad')).toBe(400);
    const old = new Date(Date.now() - 60_000).toISOString();
    expect(await postWithToken(url, old, Buffer.from('aaaaaaaaaaaaaaaa'), 'pw')).toBe(400);
    await set.setFaults('cam-001', { clockSkewMs: -60_000 });
    expect(await postWithToken(url, old, Buffer.from('bbbbbbbbbbbbbbbb'), 'pw')).toBe(200);
  });

  it('answers GetSystemDateAndTime without credentials, with the skewed clock', async () => {
    set = await startCameraSet({ cameras: 1 });
    await set.setFaults('cam-001', { clockSkewMs: 7_200_000 });
    const agent = new http.Agent();
    const client = new SoapClient({
      where: 'sim',
      username: '',
      password: '',
      auth: 'auto',
      timeoutMs: 2000,
      maxBytes: 65536,
      clock: new ClockOffset(systemClock),
      agent,
    });
    const { getSystemDateAndTime } = await import('../../drivers/onvif/device/device-calls.js');
    const t = await getSystemDateAndTime(client, new URL(set.camera('cam-001').url), {});
    agent.destroy();
    expect(Math.abs(t - (Date.now() + 7_200_000))).toBeLessThan(2000);
  });

  it('runs scenarios and is driven through its control API', async () => {
    set = await startCameraSet({ cameras: 3, nvrChannels: 2, controlPort: 0 });
    const base = set.controlUrl!;
    const post = (path: string, body: unknown) =>
      fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('/devices/cam-002/events', { kind: 'fireworks' })).status).toBe(200);
    expect(set.camera('cam-002').counters.emitted).toBe(1);
    expect((await post('/devices/cam-002/events', { kind: 'nonsense' })).status).toBe(400);
    expect((await post('/devices/*/faults', { slowMs: 10 })).status).toBe(200);
    expect(set.cameras.every((c) => c.faults.slowMs === 10)).toBe(true);
    expect((await post('/devices/cam-001/faults', { explode: true })).status).toBe(400);
    expect((await post('/scenarios/crowd', { intervalMs: 50 })).status).toBe(200);
    // Each tick: people-count, occupancy and crowd-density per channel; the NVR has two channels.
    await vi.waitFor(() => {
      expect(set!.cameras[0]!.counters.emitted).toBeGreaterThanOrEqual(3);
      expect(set!.cameras[3]!.counters.emitted).toBeGreaterThanOrEqual(6);
    });
    expect((await fetch(`${base}/scenarios/crowd`, { method: 'DELETE' })).status).toBe(200);
    const emitted = set.cameras.map((c) => c.counters.emitted);
    await new Promise((r) => setTimeout(r, 150));
    expect(set.cameras.map((c) => c.counters.emitted)).toEqual(emitted);
  });

  it('schedules fireworks for the next midnight of the device clock, or now', async () => {
    set = await startCameraSet({ cameras: 10 });
    // Device clock 200 ms before midnight UTC.
    const now = Date.now();
    const midnight = new Date(now);
    midnight.setUTCHours(24, 0, 0, 0);
    await set.setFaults('*', { clockSkewMs: midnight.getTime() - now - 200 });
    const s = set.scenario('fireworks-midnight', { intervalMs: 50, durationMs: 300 });
    await vi.waitFor(() => expect(set!.cameras.reduce((n, c) => n + c.counters.emitted, 0)).toBeGreaterThan(0));
    s.stop();
  });
});
