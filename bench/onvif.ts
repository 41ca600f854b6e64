/**
 * ONVIF driver benchmark. Runs the camera-set simulator in a child process (so the figures are
 * the driver's own) and the driver here, against a measuring DriverContext.
 *
 *   npx tsx --expose-gc bench/onvif.ts [--cameras 89] [--rate 5] [--load-s 60] [--flap-s 120]
 *                                      [--flap-fraction 0.1] [--flap-period-s 10] [--phases load,flap]
 *
 * Phase "load": every camera raises `rate` line-crossed pulses per second (stamped with the
 * send time); we report event → ctx.event latency p50/p99/max, driver CPU % of one core, RSS.
 * Phase "flap": `flap-fraction` of the cameras go offline and back every `flap-period-s`, and
 * the same share have their subscriptions killed, at 1 event/s per camera; we report RSS growth
 * after a warm-up (after GC when --expose-gc is given) and the requests/s the driver makes per
 * quarter of the phase (it must stay flat, not climb with churn).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { EventRegistry } from '../drivers/onvif/events/event-registry.js';
import { OnvifDriver } from '../drivers/onvif/onvif-driver.js';
import { onvifDeviceSchema } from '../drivers/onvif/schema.js';
import { systemClock } from '../gateway/core/clock.js';
import { silentLogger } from '../gateway/core/logger.js';
import type { Mode } from '../gateway/core/model.js';
import type { DeviceStatusUpdate, DriverContext, DriverEvent, RawSample } from '../gateway/devices/driver.js';

const { values } = parseArgs({
  options: {
    cameras: { type: 'string', default: '89' },
    rate: { type: 'string', default: '5' },
    'load-s': { type: 'string', default: '60' },
    'flap-s': { type: 'string', default: '120' },
    'flap-fraction': { type: 'string', default: '0.1' },
    'flap-period-s': { type: 'string', default: '10' },
    phases: { type: 'string', default: 'load,flap' },
  },
});
const CAMERAS = Number(values.cameras);
const RATE = Number(values.rate);
const PASSWORD = 'bench-pw';

class MeasuringContext implements DriverContext {
  readonly log = silentLogger();
  readonly clock = systemClock;
  latencies: number[] = [];
  events = 0;
  samplesCount = 0;
  /** Counted, not kept: keeping them would show up as heap growth in the flap phase. */
  statuses = 0;
  samples(batch: RawSample[]): void {
    this.samplesCount += batch.length;
  }
  event(e: DriverEvent): void {
    this.events += 1;
    const sent = Number(e.data?.SentAt);
    if (sent) this.latencies.push(Date.now() - sent);
  }
  status(_device: string, _u: DeviceStatusUpdate): void {
    this.statuses += 1;
  }
  mode(): Mode {
    return 'normal';
  }
  onModeChange(): () => void {
    return () => undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
const gc = (globalThis as { gc?: () => void }).gc;

const root = process.env.GRIDGATE_ROOT ?? new URL('..', import.meta.url).pathname;
let simChild: ChildProcess | undefined;

async function startSimulator(): Promise<{ child: ChildProcess; control: string }> {
  // GRIDGATE_ROOT lets a bundled copy of this bench (plain node, no tsx in the measured process) find the simulator.
  const child = spawn(process.execPath, ['--import', 'tsx', `${root}/simulators/onvif/cli.ts`, 'start', '--cameras', String(CAMERAS), '--control-port', '0'], {
    cwd: root,
    env: { ...process.env, GRIDGATE_SIM_CAMERA_PASSWORD: PASSWORD },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  simChild = child;
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      if (buf.includes('\n')) resolve(buf.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
  });
  return { child, control: (JSON.parse(line) as { control: string }).control };
}

async function control(base: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.json();
}

type SimDevice = { id: string; url: string; counters: { requests: number } };
async function simRequests(base: string): Promise<number> {
  return ((await control(base, 'GET', '/devices')) as SimDevice[]).reduce((s, d) => s + d.counters.requests, 0);
}

async function main(): Promise<void> {
  console.log(`# ONVIF driver benchmark`);
  console.log(
    `host: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}, load average at start ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    `setup: ${CAMERAS} simulated cameras (child process, one HTTP port each on 127.0.0.1), driver in this process; GC exposed: ${gc ? 'yes' : 'no (run with --expose-gc for stable RSS figures)'}`,
  );
  gc?.();
  const baseline = process.memoryUsage();
  console.log(`process before any camera: RSS ${mb(baseline.rss)} MB, heap ${mb(baseline.heapUsed)} MB (node + tsx loader + modules)`);
  const sim = await startSimulator();
  const devices = (await control(sim.control, 'GET', '/devices')) as SimDevice[];
  const ctx = new MeasuringContext();
  const driver = new OnvifDriver({ readSecret: () => PASSWORD, registry: EventRegistry.load(`${root}/config/onvif/event-registry.yaml`) });
  await driver.start(ctx);
  const t0 = Date.now();
  for (const d of devices) {
    await driver.addDevice(
      onvifDeviceSchema.parse({
        id: d.id,
        kind: 'camera',
        driver: 'onvif',
        url: d.url,
        username: 'admin',
        password: { env: 'BENCH_CAMERA_PASSWORD' },
        snapshots: { types: [] },
        events: { resubscribeFloorMs: 5000 },
      }),
    );
  }
  while (driver.stats().filter((s) => s.subscription?.state === 'active').length < devices.length) await sleep(50);
  console.log(`connect: ${devices.length} cameras connected and subscribed in ${Date.now() - t0} ms`);
  const phases = values.phases!.split(',');

  if (phases.includes('load')) {
    const seconds = Number(values['load-s']);
    await control(sim.control, 'POST', '/scenarios/load', { ratePerCamera: RATE });
    await sleep(3000); // warm-up
    ctx.latencies = [];
    const events0 = ctx.events;
    const cpu0 = process.cpuUsage();
    const wall0 = Date.now();
    let rssMax = 0;
    const rssTimer = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 500);
    await sleep(seconds * 1000);
    clearInterval(rssTimer);
    const cpu = process.cpuUsage(cpu0);
    const wall = Date.now() - wall0;
    await control(sim.control, 'DELETE', '/scenarios/load');
    const lat = [...ctx.latencies].sort((a, b) => a - b);
    console.log(`\n## load: ${CAMERAS} cameras × ${RATE} events/s for ${seconds} s (after 3 s warm-up)`);
    console.log(`events delivered: ${ctx.events - events0} (${((ctx.events - events0) / (wall / 1000)).toFixed(0)}/s; offered ${CAMERAS * RATE}/s)`);
    console.log(`latency event→ctx.event: p50 ${pct(lat, 50)} ms, p99 ${pct(lat, 99)} ms, max ${lat.at(-1)} ms (target p99 < 100 ms)`);
    const m = process.memoryUsage();
    console.log(
      `driver CPU: ${(((cpu.user + cpu.system) / 1000 / wall) * 100).toFixed(1)} % of one core; load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    console.log(
      `RSS max ${mb(rssMax)} MB (target < 150 MB), of which ${mb(rssMax - baseline.rss)} MB above the process baseline; heap ${mb(m.heapUsed)} MB, external ${mb(m.external)} MB`,
    );
  }

  if (phases.includes('flap')) {
    const seconds = Number(values['flap-s']);
    const period = Number(values['flap-period-s']) * 1000;
    const fraction = Number(values['flap-fraction']);
    console.log(
      `\n## flap: ${(fraction * 100).toFixed(0)} % of cameras offline/online every ${period / 1000} s and ${(fraction * 100).toFixed(0)} % with subscriptions killed every ${period / 1000} s, 1 event/s per camera, ${seconds} s`,
    );
    await control(sim.control, 'POST', '/scenarios/load', { ratePerCamera: 1 });
    await control(sim.control, 'POST', '/scenarios/flap', { fraction, intervalMs: period });
    const killers = devices.filter((_, i) => i % Math.round(1 / fraction) === 1).map((d) => d.id);
    const killTimer = setInterval(() => {
      for (const id of killers) void control(sim.control, 'POST', `/devices/${id}/kill-subscriptions`);
    }, period);
    const quarter = (seconds * 1000) / 4;
    // Warm-up: one quarter, then the baseline.
    await sleep(quarter);
    gc?.();
    const rssStart = process.memoryUsage().rss;
    const heapStart = process.memoryUsage().heapUsed;
    const rates: string[] = [];
    const memory: string[] = [];
    let req0 = await simRequests(sim.control);
    for (let q = 1; q <= 3; q++) {
      const w0 = Date.now();
      await sleep(quarter);
      const req = await simRequests(sim.control);
      rates.push(((req - req0) / ((Date.now() - w0) / 1000)).toFixed(0));
      req0 = req;
      gc?.();
      const m = process.memoryUsage();
      memory.push(`${mb(m.rss)}/${mb(m.heapUsed)}/${mb(m.external)}`);
    }
    clearInterval(killTimer);
    gc?.();
    const rssEnd = process.memoryUsage().rss;
    const heapEnd = process.memoryUsage().heapUsed;
    const resubs = driver.stats().reduce((s, d) => s + (d.subscription?.resubscribes ?? 0), 0);
    await control(sim.control, 'DELETE', '/scenarios/flap');
    await control(sim.control, 'DELETE', '/scenarios/load');
    console.log(
      `RSS after warm-up ${mb(rssStart)} MB → end ${mb(rssEnd)} MB: growth ${mb(rssEnd - rssStart)} MB (target < 5 MB); heap ${mb(heapStart)} → ${mb(heapEnd)} MB`,
    );
    console.log(`RSS/heap/external MB at the end of each quarter after warm-up: ${memory.join(', ')}`);
    console.log(`driver requests/s per quarter after warm-up: ${rates.join(', ')} (bounded: flat, not climbing)`);
    console.log(
      `resubscribes in total: ${resubs}; status reports: ${ctx.statuses}; load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  }

  await driver.stop(AbortSignal.timeout(10_000));
  sim.child.kill('SIGTERM');
}

main().catch((err) => {
  console.error(err);
  simChild?.kill('SIGTERM');
  process.exit(1);
});
