/**
 * Technicians' UI benchmark: a gateway with 89 camera channels and 2,000 points, the UI mounted.
 *  1. Dashboard API latency (p50/p95/p99/max) over N sequential requests while data flows;
 *     also the device list and the camera grid.
 *     also the device list, the camera grid, the zones with a day of history, and point trends.
 *  2. The zones screen in Chromium (Debian's, headless): a day of occupancy (1 440 buckets) drawn
 *     with uPlot — the chart's own drawing time and navigation → chart drawn, over 10 loads.
 *  3. The live events feed at 500 events/s for BENCH_SECONDS: events delivered to a websocket
 *     client, frames, heap and RSS sampled every 5 s (after a GC), to show no growth.
 * Run: npx tsx bench/ui.ts   (BENCH_SECONDS=60, BENCH_REQUESTS=2000)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import { validateConfig } from '../gateway/config/load-config.js';
import { silentLogger } from '../gateway/core/logger.js';
import { Gateway } from '../gateway/daemon.js';
import { ConfigStore } from '../gateway/config/config-store.js';
import { SecretStore } from '../gateway/ui/secret-store.js';
import { TechnicianUi } from '../gateway/ui/ui-extension.js';
import { startPlatformBroker } from '../simulators/platform/platform-broker.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const RATE = 500;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'gridgate-bench-ui-'));
  const broker = await startPlatformBroker();
  const cameras = Array.from({ length: 89 }, (_, i) => ({
    id: `cam-${String(i + 1).padStart(3, '0')}`,
    kind: 'camera',
    driver: 'synthetic',
    intervalMs: 5000,
    points: [],
  }));
  // 20 sensors × 100 points = 2,000 points, each read every second.
  const sensors = Array.from({ length: 20 }, (_, d) => ({
    id: `sensor-${d + 1}`,
    kind: 'other',
    driver: 'synthetic',
    intervalMs: 1000,
    points: Array.from({ length: 100 }, (_, p) => ({ name: `p${p}`, unit: 'Cel', wave: 'random-walk', min: 0, max: 40 })),
  }));
  const doc = {
    gateway: 'gw-bench',
    site: 'bench-site',
    dataDir: join(dir, 'data'),
    platform: { url: broker.url },
    http: { host: '127.0.0.1', port: 0 },
    outbox: { synchronous: 'NORMAL' },
    log: { level: 'error' },
    devices: [...cameras, ...sensors, { id: 'gate-1', kind: 'people-counter', driver: 'synthetic', profile: 'synthetic-people-counter', intervalMs: 1000 }],
    zones: [
      {
        id: 'cbd-square',
        name: 'CBD square',
        lines: [{ device: 'gate-1', in: 'people.in', out: 'people.out' }],
        thresholds: {
          default: [
            { level: 3, at: 30_000 },
            { level: 2, at: 40_000 },
            { level: 1, at: 50_000 },
          ],
        },
      },
    ],
  };
  const log = silentLogger();
  const secrets = new SecretStore({ file: join(dir, 'data', 'ui', 'secrets.json'), keyFile: join(dir, 'secret.key') });
  secrets.open();
  const store = new ConfigStore({ dir: join(dir, 'data', 'config-store'), baseDir: dir, env: {}, log, apply: async () => {} });
  store.open({ doc, by: 'bench', reason: 'bench' });
  let code = '';
  const ui = new TechnicianUi({
    stateDir: join(dir, 'data', 'ui'),
    store,
    secrets,
    log,
    announce: (t) => (code = /setup code ([0-9A-Z-]+)/.exec(t)?.[1] ?? ''),
  });
  const checked = validateConfig(doc, { baseDir: dir, env: {} });
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  const gateway = new Gateway({ config: checked.loaded.config, baseDir: dir, log, env: {}, extensions: [ui] });
  await gateway.start();
  const base = `http://127.0.0.1:${gateway.httpPort}`;
  const setup = await fetch(`${base}/api/ui/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base },
    body: JSON.stringify({ code, user: 'bench', password: 'benchmark password' }),
  });
  const cookie = setup.headers.get('set-cookie')!.split(';')[0]!;

  // Let every point report once.
  const until = Date.now() + 15_000;
  while (ui.context.live.pointCount() < 2000 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));

  // A day of occupancy for the zone (one bucket a minute), as after 24 h of running.
  const dayStart = Date.now() - 86_400_000;
  for (let at = dayStart; at < Date.now() - 120_000; at += 60_000)
    ui.field.zones.record('cbd-square', 'occupancy', Math.round(45_000 * Math.exp(-((((at - dayStart) / 86_400_000 - 0.7) / 0.1) ** 2))), at);

  console.log('gridgate UI benchmark');
  console.log(
    `  setup: ${cameras.length} camera channels, ${sensors.length * 100} points (${ui.context.live.pointCount()} with a value), node ${process.version}, ${process.platform}/${process.arch}`,
  );

  for (const path of [
    '/api/ui/dashboard',
    '/api/ui/devices',
    '/api/ui/cameras',
    '/api/ui/values/sensor-1',
    '/api/ui/values/sensor-1/trend',
    '/api/ui/zones',
    '/api/ui/zones/cbd-square/history?range=day',
  ]) {
    const times: number[] = [];
    for (let i = 0; i < 50; i++) await (await fetch(base + path, { headers: { cookie } })).arrayBuffer();
    const n = path === '/api/ui/dashboard' ? REQUESTS : Math.min(REQUESTS, 500);
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      const res = await fetch(base + path, { headers: { cookie } });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    console.log(
      `  GET ${path.padEnd(40)} n=${n}  p50 ${percentile(times, 50).toFixed(2)} ms  p95 ${percentile(times, 95).toFixed(2)} ms  p99 ${percentile(times, 99).toFixed(2)} ms  max ${times.at(-1)!.toFixed(2)} ms`,
    );
  }

  await zonesScreen(base, cookie);

  // The live feed at 500 events/s.
  const ws = new WebSocket(`${base.replace('http', 'ws')}/api/ui/ws/events`, { headers: { cookie, origin: base } });
  let received = 0;
  let frames = 0;
  let skipped = 0;
  let benchReceived = 0;
  ws.on('message', (m) => {
    frames++;
    const msg = JSON.parse(m.toString()) as { events: Array<{ type: string }>; skipped?: number };
    received += msg.events.length;
    benchReceived += msg.events.filter((e) => e.type === 'vendor.bench_tick').length;
    skipped += msg.skipped ?? 0;
  });
  await new Promise((r) => ws.once('open', r));
  const samples: Array<{ t: number; heapMB: number; rssMB: number; raised: number; delivered: number }> = [];
  const sample = (t: number) => {
    gc();
    const m = process.memoryUsage();
    samples.push({ t, heapMB: m.heapUsed / 2 ** 20, rssMB: m.rss / 2 ** 20, raised, delivered: benchReceived });
  };
  let raised = 0;
  const start = performance.now();
  sample(0);
  // 50 events every 100 ms = 500 events/s, held to the schedule.
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(SECONDS * RATE, Math.floor(((performance.now() - start) / 1000) * RATE));
      while (raised < due) {
        raised++;
        // A key of its own: the core's storm suppression (one event per key per window) lets all through.
        gateway.raiseEvent({
          type: 'vendor.bench_tick',
          key: `bench-${raised}`,
          state: 'pulse',
          severity: 'info',
          source: { device: `cam-${String((raised % 89) + 1).padStart(3, '0')}`, channel: 1 },
          message: `tick ${raised}`,
        });
      }
      if (raised >= SECONDS * RATE) {
        clearInterval(tick);
        resolve();
      }
    }, 100);
    const sampler = setInterval(() => {
      const t = (performance.now() - start) / 1000;
      sample(Math.round(t));
      if (t >= SECONDS) clearInterval(sampler);
    }, 5000);
  });
  const elapsed = (performance.now() - start) / 1000;
  await new Promise((r) => setTimeout(r, 1000));
  sample(Math.round(elapsed + 1));
  console.log(
    `  live feed: raised ${raised} events in ${elapsed.toFixed(1)} s (${(raised / elapsed).toFixed(0)}/s); 1 s later websocket client got ${benchReceived} of them (${received} events in all) in ${frames} frames, ${skipped} skipped`,
  );
  console.log('  memory after GC (t s: heap MB / RSS MB / raised / delivered):');
  for (const s of samples)
    console.log(
      `    ${String(s.t).padStart(4)}: ${s.heapMB.toFixed(1).padStart(6)} / ${s.rssMB.toFixed(1).padStart(6)} / ${String(s.raised).padStart(6)} / ${String(s.delivered).padStart(6)}`,
    );
  const steady = samples.filter((s) => s.t >= 10);
  if (steady.length >= 2)
    console.log(`  heap from t=${steady[0]!.t} s to t=${steady.at(-1)!.t} s: ${(steady.at(-1)!.heapMB - steady[0]!.heapMB).toFixed(1)} MB`);

  ws.close();
  await gateway.stop();
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
}

/** The zones screen with a day of occupancy, in headless Chromium: uPlot's drawing time and navigation → chart drawn. */
async function zonesScreen(base: string, cookie: string): Promise<void> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const [name, value] = cookie.split('=') as [string, string];
    await context.addCookies([{ name, value, url: base }]);
    const page = await context.newPage();
    const draw: number[] = [];
    const ready: number[] = [];
    let points = 0;
    for (let i = 0; i < 11; i++) {
      // A full load each time (not a hash change): the time counts from navigation start.
      await page.goto('about:blank');
      await page.goto(`${base}/ui/#/zones/cbd-square/day`);
      await page.waitForSelector('.chart[data-chart="cbd-square"][data-render-ms]');
      const r = await page.evaluate(() => {
        const el = (globalThis as unknown as { document: { querySelector(s: string): { dataset: Record<string, string> } } }).document.querySelector(
          '.chart[data-chart="cbd-square"]',
        );
        return { draw: Number(el.dataset.renderMs), points: Number(el.dataset.points), ready: performance.now() };
      });
      points = r.points;
      // The first load warms the browser's caches; a technician's phone has them after the first visit too.
      if (i === 0) continue;
      draw.push(r.draw);
      ready.push(r.ready);
    }
    // In the running app: from the tap on "Zones" (a hash change) to the day chart drawn.
    const screen: number[] = [];
    for (let i = 0; i < 10; i++) {
      await page.evaluate(() => {
        (globalThis as unknown as { location: { hash: string } }).location.hash = '#/dashboard';
      });
      await page.waitForSelector('#tile-uplink');
      // A string, not a function: tsx would wrap a named inner function in a helper the page lacks.
      screen.push(
        (await page.evaluate(`new Promise((done) => {
          const t0 = performance.now();
          location.hash = '#/zones/cbd-square/day';
          const poll = () => (document.querySelector('.chart[data-chart="cbd-square"]')?.dataset.renderMs ? done(performance.now() - t0) : requestAnimationFrame(poll));
          poll();
        })`)) as number,
      );
    }
    screen.sort((a, b) => a - b);
    draw.sort((a, b) => a - b);
    ready.sort((a, b) => a - b);
    console.log(`  zones screen, a day of occupancy (${points} buckets, 3 level lines), Chromium ${browser.version()}, 1366×768, 10 loads:`);
    console.log(
      `    uPlot draw: median ${percentile(draw, 50).toFixed(1)} ms, max ${draw.at(-1)!.toFixed(1)} ms; full page load → chart drawn: median ${percentile(ready, 50).toFixed(0)} ms, max ${ready.at(-1)!.toFixed(0)} ms`,
    );
    console.log(
      `    in the app, tap on Zones → day chart drawn (2 API calls, render): median ${percentile(screen, 50).toFixed(1)} ms, max ${screen.at(-1)!.toFixed(1)} ms`,
    );
  } finally {
    await browser.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
