import { execFileSync } from 'node:child_process';
import { createLogger } from '../../gateway/core/logger.js';
import { LogRing } from '../../gateway/ui/log-ring.js';
import type { TechnicianUi } from '../../gateway/ui/ui-extension.js';
import { startUi, UiClient, type UiHarness } from './ui-harness.js';

export const FIELD_PASSWORD = 'night shift password';
export const ZONE = 'erqi-square';

/** A real JPEG (ffmpeg's test pattern), as a camera would attach to an event. */
export function testJpeg(): Buffer {
  return execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=640x360',
    '-frames:v',
    '1',
    '-f',
    'image2',
    '-c:v',
    'mjpeg',
    'pipe:1',
  ]);
}

/**
 * A site with one crowd zone fed by a simulated gate counter (+30 people/s) and Chinese names, as
 * on a Zhengzhou site; the administrator is created through the setup API.
 */
export async function startFieldSite(): Promise<{ h: UiHarness; admin: UiClient }> {
  // The gateway's log lines go to the UI's ring, as `gridgate run` does.
  const ring = new LogRing();
  const h = await startUi({
    log: createLogger({ level: 'info', destination: ring }),
    ui: { logs: ring },
    devices: [
      { id: 'gate-1', name: '二七广场东门客流', kind: 'people-counter', driver: 'synthetic', profile: 'synthetic-people-counter', zone: ZONE, intervalMs: 100 },
      {
        id: 'env-1',
        name: '二七广场环境监测',
        kind: 'other',
        driver: 'synthetic',
        zone: ZONE,
        intervalMs: 500,
        points: [{ name: 'temperature', unit: 'Cel', wave: 'sine', min: -5, max: 5, periodMs: 60_000 }],
      },
    ],
    overrides: {
      zones: [
        {
          id: ZONE,
          name: '二七广场',
          lines: [{ device: 'gate-1', in: 'people.in', out: 'people.out' }],
          // Level 3 low enough for the simulated gate (+30 people/s) to reach in the test; 2 and 1 as on New Year's Eve.
          thresholds: {
            default: [
              { level: 3, at: 300 },
              { level: 2, at: 40_000 },
              { level: 1, at: 50_000 },
            ],
          },
          hysteresis: 100,
          reportEveryMs: 500,
        },
      ],
    },
  });
  const admin = new UiClient(h.url);
  const r = await admin.post('/api/ui/setup', { code: h.setupCode(), user: 'admin', password: FIELD_PASSWORD });
  if (r.status !== 200) throw new Error(`setup: ${JSON.stringify(r.body)}`);
  return { h, admin };
}

/**
 * A New Year's Eve day of occupancy for the charts (one sample a minute, ending 10 min ago): quiet
 * by day, building from the evening to ~46 000 around midnight, then leaving; the live counter
 * continues from there.
 */
export function seedNewYearsEve(ui: TechnicianUi, now = Date.now()): number {
  const start = now - 24 * 3600_000;
  let n = 0;
  for (let at = start; at < now - 10 * 60_000; at += 60_000) {
    const x = (at - start) / (24 * 3600_000);
    const peak = Math.exp(-(((x - 0.72) / 0.09) ** 2));
    const occupancy = Math.round(150 + 45_800 * peak + 300 * Math.sin(x * 60) * peak);
    ui.field.zones.record(ZONE, 'inflow', Math.round(peak * 1800), at);
    ui.field.zones.record(ZONE, 'outflow', Math.round(peak * 1500), at);
    ui.field.zones.record(ZONE, 'occupancy', occupancy, at);
    n++;
  }
  return n;
}
