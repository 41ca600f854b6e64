import { Writable } from 'node:stream';
import type pino from 'pino';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createLogger, redactUrlCredentials } from '../../gateway/core/logger.js';
import type { Gateway } from '../../gateway/daemon.js';
import { startGateway, tempDir, testConfig } from '../helpers/gateway-harness.js';
import { startPlatform, type TestPlatform } from '../helpers/platform.js';

describe('logs', () => {
  it('redact passwords, keys and credentials in URLs', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = createLogger({ destination: sink as unknown as pino.DestinationStream });
    log.info(
      { camera: { password: 'hunter2', url: 'rtsp://admin:hunter2@10.0.0.7/stream1' }, token: 'abc' },
      'connecting to rtsp://admin:hunter2@10.0.0.7/stream1',
    );
    log.error({ err: new Error('auth failed for mqtt://gw:s3cret@platform:1883') }, 'uplink');
    const text = lines.join('');
    expect(text).not.toMatch(/hunter2|s3cret|"abc"/);
    expect(text).toMatch(/rtsp:\/\/\*\*\*:\*\*\*@10\.0\.0\.7\/stream1/);
    expect(redactUrlCredentials('see http://u:p@host/x and mqtts://a:b@c:8883')).toBe('see http://***:***@host/x and mqtts://***:***@c:8883');
  });
});

describe('/metrics, /healthz, /readyz', () => {
  const tmp = tempDir();
  let site: TestPlatform | undefined;
  let gateway: Gateway;
  afterAll(async () => {
    await gateway?.stop();
    await site?.stop();
    tmp.cleanup();
  });

  it('report health, readiness with the failing check, and the outbox and uplink metrics', async () => {
    site = await startPlatform();
    const platform = site.recorder;
    gateway = await startGateway(testConfig(site.broker.url, tmp.dir));
    await platform.until(() => platform.readings().length > 10);
    const base = `http://127.0.0.1:${gateway.httpPort}`;
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ ok: true });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const name of [
      'gridgate_outbox_items{lane="telemetry"}',
      'gridgate_outbox_bytes{lane="events"}',
      'gridgate_outbox_oldest_age_seconds{lane="telemetry"}',
      'gridgate_uplink_connected 1',
      'gridgate_publish_latency_seconds_bucket{le="0.1",lane="telemetry"}',
      'gridgate_readings_in_total',
      'gridgate_readings_out_total',
      'gridgate_devices{status="online"} 1',
      'gridgate_site_mode{mode="normal"} 1',
    ]) {
      expect(metrics, name).toContain(name);
    }
    await site.stop();
    // The gateway notices the broker is gone on its own schedule: wait for readiness to say so.
    const notReady = await vi.waitFor(
      async () => {
        const r = await fetch(`${base}/readyz`);
        expect(r.status).toBe(503);
        return r;
      },
      { timeout: 15_000, interval: 100 },
    );
    const body = (await notReady.json()) as { ready: boolean; checks: Array<{ name: string; ok: boolean; detail: string }> };
    expect(body.ready).toBe(false);
    expect(body.checks.find((c) => c.name === 'uplink')).toMatchObject({
      ok: false,
      // Which words depend on how the socket ends (a FIN, a reset, a refused reconnect); a reason must be named.
      detail: expect.stringMatching(/disconnected since .*: (connection closed|connection reset|broker refused)/),
    });
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('gridgate_uplink_connected 0');
  });
});

describe('HTTPS (http.tls.selfSigned)', () => {
  const tmp = tempDir();
  let gateway: Gateway | undefined;
  afterAll(async () => {
    await gateway?.stop();
    tmp.cleanup();
  });

  it('serves over TLS with a certificate made at first start, and the same one afterwards', async () => {
    const { request } = await import('node:https');
    const get = (port: number) =>
      new Promise<{ status: number; fingerprint: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false }, (res) => {
          const cert = (res.socket as import('node:tls').TLSSocket).getPeerCertificate();
          res.resume();
          resolve({ status: res.statusCode ?? 0, fingerprint: cert.fingerprint256 });
        });
        req.on('error', reject);
        req.end();
      });
    const config = testConfig('mqtt://127.0.0.1:1', tmp.dir, { devices: [], http: { host: '127.0.0.1', port: 0, tls: { selfSigned: true } } });
    gateway = await startGateway(config);
    const first = await get(gateway.httpPort!);
    expect(first.status).toBe(200);
    await gateway.stop();
    gateway = await startGateway(config);
    const second = await get(gateway.httpPort!);
    expect(second.fingerprint).toBe(first.fingerprint);
  });
});
