import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ClockOffset } from '../../drivers/onvif/device/clock-offset.js';
import { discoverWithReport } from '../../drivers/onvif/discovery/ws-discovery-client.js';
import { OnvifDriver } from '../../drivers/onvif/onvif-driver.js';
import { onvifDeviceSchema } from '../../drivers/onvif/schema.js';
import { deviceText } from '../../drivers/onvif/transport/device-text.js';
import { SoapClient } from '../../drivers/onvif/transport/soap-client.js';
import { ManualClock } from '../../gateway/core/clock.js';
import { GatewayMetrics } from '../../gateway/observability/metrics.js';
import { type CameraSet, startCameraSet } from '../../simulators/onvif/camera-set.js';
import { RecordingContext } from '../helpers/recording-context.js';
import { PASSWORD, poll } from './sim-harness.js';

/** A pino logger whose lines land in `lines` (parsed). */
function capture(): { log: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      done();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}

let set: CameraSet | undefined;
let driver: OnvifDriver | undefined;
const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  await driver?.stop(AbortSignal.timeout(5000));
  driver = undefined;
  await set?.stop();
  set = undefined;
  for (const c of closers.splice(0)) await c();
});

async function start(skewMs = 0): Promise<{ ctx: RecordingContext; lines: Array<Record<string, unknown>> }> {
  set = await startCameraSet({ cameras: 1, credentials: { username: 'admin', password: PASSWORD } });
  await set.setFaults('cam-001', { clockSkewMs: skewMs });
  const { log, lines } = capture();
  const ctx = new RecordingContext();
  Object.defineProperty(ctx, 'log', { value: log });
  driver = new OnvifDriver({ readSecret: () => PASSWORD });
  await driver.start(ctx);
  await driver.addDevice(
    onvifDeviceSchema.parse({
      id: 'cam-001',
      kind: 'camera',
      driver: 'onvif',
      url: set.devices[0]!.url,
      username: 'admin',
      password: { env: 'X' },
      requestTimeoutMs: 1000,
      events: { pullTimeoutMs: 1000, terminationMs: 10_000 },
    }),
  );
  await poll(() => driver!.stats()[0]?.subscription?.state === 'active', 'subscribed');
  return { ctx, lines };
}

describe('ONVIF observability and event times (issue 11)', () => {
  it('keeps the clock offset tight with the milliseconds of each PullMessages CurrentTime, so event times are not ahead', async () => {
    const skew = 37 * 60_000 + 437;
    const { ctx } = await start(skew);
    const emittedAt = Date.now();
    set!.emit('cam-001', 'line-crossed', { objectId: 'a' });
    await ctx.until(() => ctx.recorded.events.length === 1, 10_000, 'crossing');
    const receivedAt = Date.now();
    // GetSystemDateAndTime alone (whole seconds) leaves up to ±500 ms; the ms CurrentTime leaves the latency.
    expect(Math.abs(driver!.stats()[0]!.clockOffsetMs - skew)).toBeLessThan(200);
    const ts = ctx.recorded.events[0]!.ts!;
    expect(Math.abs(ts - emittedAt)).toBeLessThan(200);
    expect(ts).toBeLessThanOrEqual(receivedAt + 50);
  });

  it('lets a whole-second reading that agrees keep the finer offset, and a disagreeing one replace it', () => {
    const c = new ClockOffset(new ManualClock(0));
    c.update(10_123, 1000, 1000, 0);
    expect(c.offset).toBe(9123);
    c.update(10_000, 1100, 1120, 1000);
    expect(c.offset).toBe(9123);
    c.update(70_000, 2000, 2010, 1000);
    expect(c.offset).toBe(68_495);
  });

  it('logs a lost subscription and its resubscribe one line each, and counts them in health() and /metrics', async () => {
    const { lines } = await start();
    set!.killSubscriptions('cam-001');
    await poll(() => driver!.stats()[0]?.subscription?.resubscribes === 1 && driver!.stats()[0]?.subscription?.state === 'active', 'resubscribed');
    expect(lines.filter((l) => l.msg === 'event subscription lost')).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'event subscription re-created')).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'device online')).toHaveLength(1);
    expect(driver!.health().devices['cam-001']).toMatchObject({ status: 'online', subscription: { open: 1, resubscribes: 1, lost: 1 } });
    const metrics = new GatewayMetrics({ processMetrics: false });
    metrics.addDriverMetrics(driver!.metricFamilies, () => driver!.health().metrics);
    const text = await metrics.registry.metrics();
    expect(text).toContain('gridgate_onvif_resubscribes_total{device="cam-001"} 1');
    expect(text).toContain('gridgate_onvif_open_subscriptions{device="cam-001"} 1');
    expect(text).toContain('# TYPE gridgate_onvif_resubscribes_total counter');
  });

  it('escapes NUL and control characters a device puts in a fault reason', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/soap+xml' });
      res.end(
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value></s:Code>' +
          '<s:Reason><s:Text xml:lang="en">bad&#x9;thing&#xA;FAKE LOG LINE &#x1B;[31m\u202Eevil</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>',
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
    const client = new SoapClient({
      where: 'cam-x',
      username: '',
      password: '',
      auth: 'ws-security',
      timeoutMs: 2000,
      maxBytes: 65_536,
      clock: new ClockOffset(new ManualClock(0)),
      agent: new http.Agent(),
    });
    const err = await client
      .call(new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/onvif/device_service`), '<tds:GetDeviceInformation/>')
      .catch((e: Error) => e);
    expect((err as Error).message).toBe('cam-x answered a SOAP fault: bad\\u{9}thing\\u{a}FAKE LOG LINE \\u{1b}[31m\\u{202e}evil');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting there are none
    expect((err as Error).message).not.toMatch(/[\u0000-\u001f\u202e]/);
    expect(deviceText('\u0000x'.repeat(3), 4)).toBe('\\u{0}x\\u{0}x…');
  });

  it('says what discovery probed and on which interfaces when nothing answers (loopback only)', async () => {
    const { log, lines } = capture();
    // A UDP port nobody listens on: the probe goes out and nothing comes back.
    const quiet = http.createServer();
    await new Promise<void>((r) => quiet.listen(0, '127.0.0.1', r));
    const port = (quiet.address() as AddressInfo).port;
    quiet.close();
    const { devices, report } = await discoverWithReport(
      { interfaces: ['127.0.0.1'], multicast: false, unicastTargets: [{ host: '127.0.0.1', port }] },
      400,
      log,
    );
    expect(devices).toEqual([]);
    expect(report).toMatchObject({ interfaces: ['127.0.0.1'], targets: [`127.0.0.1:${port}`], answers: 0, devices: 0 });
    // Up to 3 jittered probes fit in the 400 ms window; on a loaded machine the last may not be sent in time.
    expect(report.probesSent).toBeGreaterThanOrEqual(1);
    expect(report.probesSent).toBeLessThanOrEqual(3);
    const warn = lines.find((l) => l.msg === 'WS-Discovery: no ONVIF device answered');
    expect(warn).toMatchObject({ probed: { interfaces: ['127.0.0.1'], targets: [`127.0.0.1:${port}`] } });
    // Default interfaces: loopback is listed as skipped with the reason; with nothing to probe, a note says so.
    const none = await discoverWithReport({ multicast: false }, 50, log);
    expect(none.report.skipped).toContainEqual(expect.objectContaining({ address: '127.0.0.1', reason: expect.stringMatching(/loopback/) }));
    expect(none.report.note).toMatch(/nothing was probed/);
  });
});
