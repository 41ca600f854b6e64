import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayConfigInput } from '../../gateway/config/schema/gateway-config.js';
import { formatProblem } from '../../gateway/config/config-problems.js';
import { validateConfig } from '../../gateway/config/load-config.js';
import { silentLogger } from '../../gateway/core/logger.js';
import { Gateway } from '../../gateway/daemon.js';
import { tempDir, testConfig } from '../helpers/gateway-harness.js';
import { freePort } from '../helpers/mosquitto.js';
import { startPlatform } from '../helpers/platform.js';
import { mosquittoPub } from './mosquitto-pub.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const PASSWORD = 'pc-1-password';
const ENV = { PC_PW: PASSWORD };
const TOPIC = 'axis/pc-1/people-counter';

/** A site with one Axis-like counter on the embedded broker, its zone, and a level-1 → emergency rule. */
function siteConfig(platformUrl: string, dataDir: string, port: number): GatewayConfigInput {
  return testConfig(platformUrl, dataDir, {
    devices: [
      {
        id: 'pc-1',
        kind: 'people-counter',
        driver: 'mqtt',
        profile: 'mqtt-axis-people-counter',
        connection: { mode: 'embedded', host: '127.0.0.1', port },
        auth: { password: { env: 'PC_PW' } },
        maxPayloadBytes: 1024,
      },
    ],
    zones: [
      {
        id: 'square',
        lines: [{ device: 'pc-1', in: 'in', out: 'out' }],
        reportEveryMs: 200,
        hysteresis: 10,
        thresholds: {
          default: [
            { level: 3, at: 1_000 },
            { level: 1, at: 5_000 },
          ],
        },
      },
    ],
    rules: { suppression: { windowMs: 0 }, modeRules: [{ id: 'l1', zone: 'square', level: 1, switchTo: 'emergency' }] },
  });
}

async function startSite(dataDir: string, platformUrl: string, port: number): Promise<Gateway> {
  const result = validateConfig(siteConfig(platformUrl, dataDir, port), { baseDir: process.cwd(), env: ENV });
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('; '));
  const gateway = new Gateway({ config: result.loaded.config, baseDir: process.cwd(), log: silentLogger(), env: ENV });
  await gateway.start();
  return gateway;
}

async function setup() {
  const { broker: platform, recorder, stop } = await startPlatform();
  cleanups.push(stop);
  const tmp = tempDir('gg-mqtt-hostile-');
  cleanups.push(tmp.cleanup);
  const port = await freePort();
  return { platform, recorder, dir: tmp.dir, port };
}

const iso = (ms: number) => new Date(ms).toISOString();

describe('hostile counter payloads from an independent publisher (Mosquitto mosquitto_pub) into the embedded broker', () => {
  it('keep occupancy and crowd levels sane: no crowd.threshold, no mode change; every refusal is counted and reported', async () => {
    const { platform, recorder, dir, port } = await setup();
    const gateway = await startSite(dir, platform.url, port);
    cleanups.push(() => gateway.stop());
    const base = Date.now() - 60_000;
    const pub = (message: string, extra: Partial<Parameters<typeof mosquittoPub>[0]> = {}) =>
      mosquittoPub({ port, username: 'pc-1', password: PASSWORD, topic: TOPIC, message, ...extra });
    const send = (i: number, counts: Record<string, number>, time = iso(base + i * 1000)) => pub(JSON.stringify({ timestamp: time, ...counts }));
    const occupancy = () => gateway.status().zones[0]!.occupancy;
    const readings = (point: string) => recorder.readings().filter((r) => r.device === 'pc-1' && r.point === point);

    await send(1, { in: 10_000, out: 9_000 }); // the baseline
    await send(2, { in: 10_010, out: 9_004 });
    await recorder.until(() => readings('in').length === 2, 15_000, 'the first readings');
    expect(occupancy()).toBe(6);

    // Duplicate keys: JSON.parse would take the last (99 999 999 people). Refused.
    await pub(`{"timestamp": "${iso(base + 3000)}", "in": 10011, "in": 99999999, "out": 9004}`);
    // A jump no counting line can make, then a huge `out` (not a reset when the next is normal).
    await send(4, { in: 99_999_999, out: 9_004 });
    await send(5, { in: 10_012, out: 9_004 });
    await send(6, { in: 10_012, out: 4_000_000_000 });
    await send(7, { in: 10_012, out: 9_005 });
    // A device clock in 2099: receive time, uncertain; the next real time is not "out of order".
    await send(8, { in: 10_015, out: 9_005 }, '2099-01-01T00:00:00Z');
    await send(9, { in: 10_016, out: 9_005 });
    await send(10, { in: 10_017, out: 9_005 }, iso(base + 5_500)); // really out of order
    // A drop to a middle value is not a reset; a drop to near zero is.
    await send(11, { in: 5_000, out: 9_005 });
    await send(12, { in: 10_020, out: 9_005 });
    await send(13, { in: 3, out: 2 });
    // Refused at the door: over maxPayloadBytes, not JSON, a wrong password, another device's topic.
    await pub(JSON.stringify({ timestamp: iso(base + 14_000), in: 10, out: 2, pad: 'x'.repeat(2000) }));
    await pub('in=12;out=2');
    await expect(pub('{}', { password: 'wrong' })).rejects.toThrow(/exit|refused|not authori[sz]ed/i);
    await pub(JSON.stringify({ in: 1 }), { topic: 'axis/pc-2/people-counter' }).catch(() => undefined);

    await recorder.until(() => (gateway.rejections.snapshot()['pc-1']?.acl ?? 0) === 1 && readings('in').length === 11, 15_000, 'every message handled');
    // 6 + 2 (5) − 1 (7) + 3 (8) + 1 (9) + 4 (12) + 3 − 2 (13: a reset of both lines) = 16
    await recorder.until(() => occupancy() === 16, 15_000, `occupancy 16 (is ${occupancy()})`);
    await recorder.until(
      () => recorder.readings().some((r) => r.device === 'zone.square' && r.point === 'occupancy' && r.value === 16),
      15_000,
      'the zone reading',
    );
    const zoneValues = recorder
      .readings()
      .filter((r) => r.device === 'zone.square' && r.point === 'occupancy')
      .map((r) => r.value as number);
    expect(Math.max(...zoneValues)).toBeLessThanOrEqual(16);
    expect(recorder.events('crowd.threshold')).toEqual([]);
    expect(recorder.events('mode.changed')).toEqual([]);
    expect(gateway.status().mode).toBe('normal');

    // The jump: not counted, the reading uncertain and saying why, an event with the raw values.
    const jump = readings('in')[2];
    expect(jump).toMatchObject({ value: 10_010, quality: 'uncertain', error: expect.stringContaining('a jump from 10010 to 99999999') });
    const implausible = recorder.events('vendor.counter.implausible');
    expect(implausible.map((e) => [e.source.point, e.data.raw, e.data.last])).toEqual([
      ['in', 99_999_999, 10_010],
      ['out', 4_000_000_000, 9_004],
      ['in', 5_000, 10_016],
    ]);
    expect(implausible[0]).toMatchObject({ severity: 'minor', source: { device: 'pc-1', point: 'in' }, data: { change: 99_989_989 } });
    // The 2099 time: the receive time, uncertain, with the reason; the next reading is good again.
    const future = readings('in').find((r) => String(r.error ?? '').includes('2099'));
    expect(future).toMatchObject({
      value: 10_015,
      quality: 'uncertain',
      error: expect.stringMatching(/device time 2099-01-01T00:00:00.000Z .* ahead of the gateway's clock/),
    });
    expect(Math.abs(Date.parse(future.ts) - Date.now())).toBeLessThan(60_000);
    expect(readings('in').at(-1)).toMatchObject({ quality: 'good' });

    // Counted per device and reason: /metrics and /api/status.
    // (out-of-order counts each point of the message refused: in and out)
    const expected = { 'duplicate-key': 1, implausible: 3, 'stale-time': 1, 'out-of-order': 2, oversize: 1, malformed: 1, auth: 1, acl: 1 };
    const status = (await (await fetch(`http://127.0.0.1:${gateway.httpPort}/api/status`)).json()) as {
      ingestRejected: Record<string, Record<string, number>>;
    };
    expect(status.ingestRejected['pc-1']).toEqual(expected);
    const metrics = await (await fetch(`http://127.0.0.1:${gateway.httpPort}/metrics`)).text();
    for (const [reason, n] of Object.entries(expected)) expect(metrics).toContain(`gridgate_ingest_rejected_total{device="pc-1",reason="${reason}"} ${n}`);
  });

  it('keep counter totals and occupancy across a gateway restart: neither re-based nor counted twice', async () => {
    const { platform, recorder, dir, port } = await setup();
    let gateway = await startSite(dir, platform.url, port);
    const base = Date.now() - 60_000;
    const send = (i: number, counts: Record<string, number>) =>
      mosquittoPub({ port, username: 'pc-1', password: PASSWORD, topic: TOPIC, message: JSON.stringify({ timestamp: iso(base + i * 1000), ...counts }) });
    const totals = (point: string) =>
      recorder
        .readings()
        .filter((r) => r.device === 'pc-1' && r.point === point)
        .map((r) => r.value);

    await send(1, { in: 500, out: 400 });
    await send(2, { in: 540, out: 420 });
    await send(3, { in: 3, out: 1 }); // the device restarted its count (midnight): total goes on
    await recorder.until(() => totals('in').length === 3, 15_000, 'three readings');
    expect(totals('in')).toEqual([500, 540, 543]);
    expect(gateway.status().zones[0]!.occupancy).toBe(40 - 20 + 3 - 1);
    await gateway.stop();

    gateway = await startSite(dir, platform.url, port);
    expect(gateway.status().zones[0]!.occupancy).toBe(22);
    cleanups.push(() => gateway.stop());
    await send(4, { in: 10, out: 4 });
    await recorder.until(() => totals('in').length === 4, 15_000, 'the reading after the restart');
    // Not re-based (543 → 10 would be a new total of 10) and not counted twice.
    expect(totals('in').at(-1)).toBe(550);
    expect(totals('out').at(-1)).toBe(424);
    expect(gateway.status().zones[0]!.occupancy).toBe(22 + 7 - 3);
    // A replay of the message before the restart is still out of order.
    await send(3, { in: 3, out: 1 });
    await recorder.until(() => (gateway.rejections.snapshot()['pc-1']?.['out-of-order'] ?? 0) >= 1, 15_000, 'the replay refused');
    expect(gateway.status().zones[0]!.occupancy).toBe(26);
  });
});
