/**
 * npm run soak -- --hours H (or --minutes M) [--compress C] [--sample-seconds S] [--from-source]
 *
 * A compressed day on site (issue 17, part 3): the demo site (89 ONVIF cameras, 5 Modbus and 7 MQTT
 * devices) against a gateway child process, with the day of bench/soak-schedule.ts: platform
 * outages of 30 s to 10 min, camera flaps, Modbus line noise, config changes through the UI's HTTP
 * API, the New Year's Eve surge, a kill -9 and a graceful restart. Samples RSS, V8 heap, CPU and
 * backlog; a platform-side oracle checks that nothing was lost or reordered. Writes
 * soak-results/<time>/summary.json and chart.svg and prints a table (bench/soak-report.ts).
 * The gateway runs as the .deb installs it (compiled, production dependencies, the unit's node
 * flags and environment); --from-source runs the TypeScript through tsx instead.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { squareCameras, startDemoSite } from '../simulators/demo-site.js';
import { raise } from '../simulators/onvif/analytics.js';
import { startPlatformBroker } from '../simulators/platform/platform-broker.js';
import { runNewYearEve } from '../simulators/scenarios/new-year-eve.js';
import { AcceptedSet } from '../test/helpers/oracle.js';
import { cameraFlap, FLAP_CAMERAS, LinkProxy, MARK_CAMERAS, modbusNoise, sleep, uiConfigChange } from './soak-faults.js';
import { GatewayChild, sourceProgram, stagedProgram } from './soak-gateway.js';
import { PlatformOracle } from './soak-oracle.js';
import { type RunLog, writeReport } from './soak-report.js';
import { freeOffset, startNominalLoad, writeSiteConfig } from './soak-site.js';
import { autoCompress, clock, type Planned, planDay } from './soak-schedule.js';
import { procStat, type Sample, scrapeMetrics } from './soak-sampling.js';

const ROOT = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    hours: { type: 'string' },
    minutes: { type: 'string' },
    compress: { type: 'string' },
    'sample-seconds': { type: 'string' },
    'keep-data': { type: 'boolean', default: false },
    'from-source': { type: 'boolean', default: false },
    'nominal-devices': { type: 'string', default: '50' },
  },
});
const RUN_MS = values.hours ? Number(values.hours) * 3_600_000 : Number(values.minutes ?? '10') * 60_000;
if (!(RUN_MS >= 60_000)) throw new Error('give --hours H or --minutes M (at least 1 minute)');
const COMPRESS = values.compress ? Number(values.compress) : autoCompress(RUN_MS);
const SAMPLE_MS = Number(values['sample-seconds'] ?? (RUN_MS >= 3_600_000 ? 10 : 5)) * 1000;
/** One mark (a smoke alarm on one of the mark cameras) every 5 s: the events the oracle must see arrive. */
const MARK_EVERY_MS = 5000;
/**
 * No marks this soon after the first start: the cameras' pull-points are still being created.
 * After that, marks go on through the kill -9 and the restart: the camera queues them on the
 * pull-point the next run takes up, so they must arrive too.
 */
const MARK_QUIET_AFTER_START_MS = 30_000;
/**
 * Issue 17 runs the day "at the nominal load plus the 89 cameras": the nominal site of issue 14,
 * 50 Modbus TCP devices × 100 registers polled every second (5,000 readings/s), beside the demo
 * site. `--nominal-devices 0` leaves it out.
 */
const NOMINAL_DEVICES = Number(values['nominal-devices']);
if (!Number.isInteger(NOMINAL_DEVICES) || NOMINAL_DEVICES < 0) throw new Error('--nominal-devices needs a whole number ≥ 0');

async function main() {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outDir = join(ROOT, 'soak-results', stamp);
  mkdirSync(outDir, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'gridgate-soak-'));
  const plan = planDay(RUN_MS, COMPRESS);
  const log: RunLog = {
    startedAt: Date.now(),
    program: '',
    site: '',
    runMs: RUN_MS,
    compress: COMPRESS,
    sampleMs: SAMPLE_MS,
    loadAtStart: loadavg(),
    happenings: [],
    outages: [],
    windows: [],
    latencyExcluded: [],
    starts: [],
    stops: [],
    uiChanges: [],
  };
  console.log(
    `# gridgate soak: a compressed day in ${(RUN_MS / 60_000).toFixed(0)} min (1 day hour = ${(RUN_MS / 24 / 60_000).toFixed(2)} run min), durations / ${COMPRESS.toFixed(2)}; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (const p of plan) console.log(`  ${clock(p.dayHour)}  +${(p.atMs / 60_000).toFixed(1)} min  ${describe(p)}`);

  const program = values['from-source'] ? sourceProgram(ROOT) : stagedProgram(ROOT);
  console.log(`  gateway: ${program.describe}`);
  log.program = program.describe;
  const broker = await startPlatformBroker();
  const oracle = new PlatformOracle(broker.url);
  await oracle.start();
  const link = new LinkProxy(broker.port);
  await link.start();
  const portOffset = await freeOffset();
  const site = await startDemoSite({ host: '127.0.0.1', portOffset });
  const nominal = NOMINAL_DEVICES > 0 ? await startNominalLoad(NOMINAL_DEVICES) : undefined;
  const siteConfig = writeSiteConfig(ROOT, dataDir, portOffset, nominal?.devices ?? []);
  log.site = `the demo site (config/demo.yaml: 89 ONVIF cameras, 5 Modbus and 7 MQTT devices)${nominal ? ` + ${nominal.describe}` : ''}`;
  console.log(`  site: ${log.site}`);
  const httpPort = await freePort();
  const env = {
    ...process.env,
    GRIDGATE_PLATFORM_URL: `mqtt://127.0.0.1:${link.port}`,
    GRIDGATE_DATA_DIR: dataDir,
    GRIDGATE_HTTP_PORT: String(httpPort),
    // SOAK_GATEWAY_LOG_LEVEL=info for a closer look; the log is soak-results/<time>/gateway.log.
    GRIDGATE_LOG_LEVEL: process.env.SOAK_GATEWAY_LOG_LEVEL ?? 'warn',
  };
  const gw = new GatewayChild(program, env, httpPort, siteConfig, join(outDir, 'gateway.log'));
  if (portOffset) console.log(`  demo site ports moved by +${portOffset} (config/demo.yaml's ports are in use): ${siteConfig}`);
  await gw.createUser();
  log.starts.push({ at: Date.now(), life: 1, readyMs: await gw.start() });
  const t0 = Date.now();
  // The day starts when the gateway is ready: run minutes in the report count from here.
  log.startedAt = t0;
  const runMin = () => (Date.now() - t0) / 60_000;
  const firstStart = performance.now();
  let gatewayUp = true;
  /** No gateway process at all (after the stop returned, until the next one is ready): for the marks. */
  let gatewayGone = false;

  // Marks: smoke raised and cleared on the mark cameras; each raise must reach the platform.
  let markN = 0;
  const markTimer = setInterval(() => {
    if (performance.now() - firstStart < MARK_QUIET_AFTER_START_MS) return;
    const n = ++markN;
    const camera = MARK_CAMERAS[n % MARK_CAMERAS.length]!;
    oracle.expectMark({ mark: n, camera, raisedAt: Date.now(), during: gatewayGone ? 'gateway down' : 'normal' });
    raise(site.cameras.camera(camera), 'smoke', { on: true, extra: { SoakMark: String(n) } });
    setTimeout(() => raise(site.cameras.camera(camera), 'smoke', { on: false, extra: { SoakMark: `${n}-off` } }), 1500);
  }, MARK_EVERY_MS);

  /** Waits until the outbox is back to `baseline` (events empty, telemetry at most baseline); ms waited. */
  const drained = async (baseline: number, limitMs: number): Promise<number | undefined> => {
    const from = performance.now();
    while (performance.now() - from < limitMs) {
      const m = gw.alive() ? await scrapeMetrics(httpPort) : undefined;
      if (m?.uplinkConnected && m.backlogEvents === 0 && m.backlogTelemetry <= baseline) return performance.now() - from;
      await sleep(500);
    }
    return undefined;
  };
  const baselineNow = async () => Math.max(50, (await scrapeMetrics(httpPort))?.backlogTelemetry ?? 0);

  const run = async (p: Planned) => {
    const at = Date.now();
    log.happenings.push({ dayHour: p.dayHour, min: runMin(), what: describe(p) });
    const w = p.what;
    if (w.kind === 'outage') {
      const baseline = await baselineNow();
      link.cut();
      await sleep(p.durationMs);
      link.restore();
      const end = Date.now();
      const drainMs = await drained(baseline, 30 * 60_000);
      log.outages.push({
        dayHour: p.dayHour,
        fromMin: (at - t0) / 60_000,
        toMin: (end - t0) / 60_000,
        nominalS: w.nominalS,
        runS: p.durationMs / 1000,
        drainS: drainMs === undefined ? undefined : drainMs / 1000,
      });
      log.windows.push({ cause: 'outage', from: at, to: Date.now() + 5000 });
    } else if (w.kind === 'camera-flap') {
      // Events a camera holds during a blip arrive late by design: not counted in the latency.
      if (w.mode === 'unreachable') log.latencyExcluded.push({ cause: 'camera-flap', from: at, to: at + p.durationMs + 10_000 });
      await cameraFlap(site, w.mode, p.durationMs, (cams) => {
        // A cable blip keeps the pull-points: an event raised during it must still arrive after.
        if (w.mode !== 'unreachable' || !gatewayUp) return;
        const n = ++markN;
        oracle.expectMark({ mark: n, camera: cams[0]!, raisedAt: Date.now(), during: 'camera unreachable' });
        raise(site.cameras.camera(cams[0]!), 'smoke', { on: true, extra: { SoakMark: String(n) } });
        setTimeout(() => raise(site.cameras.camera(cams[0]!), 'smoke', { on: false, extra: { SoakMark: `${n}-off` } }), 1500);
      });
    } else if (w.kind === 'modbus-noise') {
      await modbusNoise(site, w.device, w.fault, p.durationMs);
    } else if (w.kind === 'ui-config') {
      const r = gatewayUp
        ? await uiConfigChange(httpPort, gw.uiUser, gw.uiPassword, 'wl-underpass-01', w.interval)
        : { status: 0, ms: 0, error: 'gateway down' };
      log.uiChanges.push({ min: runMin(), intervalMs: w.interval, ...r });
    } else if (w.kind === 'surge') {
      runNewYearEve({
        modbus: site.modbus,
        cameras: squareCameras(site.cameras),
        counters: [
          { device: 'pc-cbd-01', in: 'in', out: 'out' },
          { device: 'pc-gate-02', in: 'in-total', out: 'out-total' },
        ],
        zone: 'cbd-square',
        rampMs: p.durationMs,
        settleMs: 0,
      });
    } else if (w.kind === 'kill-9' || w.kind === 'restart') {
      // One stop/start at a time: on a very short run the restart can fall inside the kill's start.
      const previous = lifecycle;
      let done = () => {};
      lifecycle = new Promise<void>((r) => (done = r));
      await previous;
      let baseline = 50;
      let stopAt = at;
      let stoppedAt = at;
      try {
        gatewayUp = false;
        baseline = await baselineNow();
        stopAt = Date.now();
        const stopped = await gw.stop(w.kind === 'kill-9' ? 'SIGKILL' : 'SIGTERM');
        gatewayGone = true;
        stoppedAt = Date.now();
        log.stops.push({ min: runMin(), how: w.kind, ms: stopped.ms, exit: stopped.exit });
        await sleep(p.durationMs);
        const readyMs = await gw.start();
        gatewayUp = true;
        gatewayGone = false;
        log.starts.push({ at: Date.now(), life: gw.life, readyMs });
      } finally {
        done();
      }
      const drainMs = await drained(baseline, 30 * 60_000);
      log.windows.push({ cause: w.kind, from: stopAt, stoppedAt, to: Date.now() + 5000, drainS: drainMs === undefined ? undefined : drainMs / 1000 });
    }
  };
  let lifecycle = Promise.resolve();
  const running = new Set<Promise<void>>();
  const timers = plan.map((p) =>
    setTimeout(() => {
      const task = run(p).catch((err) => console.error(`${describe(p)} failed:`, err));
      running.add(task);
      void task.finally(() => running.delete(task));
    }, p.atMs),
  );

  // Sampling.
  const samples: Sample[] = [];
  let last = { pid: gw.pid, ticks: procStat(gw.pid!)?.cpuTicks ?? 0, at: performance.now() };
  let printed = Number.NEGATIVE_INFINITY;
  let dayOver = false;
  // Sampled until the day is over and its last happening (an outage and its drain) has ended.
  while (Date.now() - t0 < RUN_MS || running.size > 0) {
    if (Date.now() - t0 >= RUN_MS && !dayOver) {
      dayOver = true;
      clearInterval(markTimer);
      console.log(`# the day is over; ${running.size} happening(s) still running (the last outage and its drain)`);
    }
    await sleep(SAMPLE_MS - ((Date.now() - t0) % SAMPLE_MS));
    const pid = gw.pid;
    const proc = gw.alive() && pid ? procStat(pid) : undefined;
    const m = proc ? await scrapeMetrics(httpPort) : undefined;
    const now = performance.now();
    const seconds = (now - last.at) / 1000;
    if (proc && m) {
      // 100 clock ticks per second (USER_HZ on Linux).
      const cpuPct = pid === last.pid ? ((proc.cpuTicks - last.ticks) / 100 / seconds) * 100 : undefined;
      samples.push({
        min: runMin(),
        life: gw.life,
        rssMiB: proc.rssMiB,
        anonMiB: proc.anonMiB,
        externalMiB: m.externalMiB,
        heapUsedMiB: m.heapUsedMiB,
        heapTotalMiB: m.heapTotalMiB,
        cpuPct,
        backlogTelemetry: m.backlogTelemetry,
        backlogEvents: m.backlogEvents,
        uplinkConnected: m.uplinkConnected,
        readingsPerS: oracle.readingsSinceTick / seconds,
        load1: loadavg()[0]!,
      });
      last = { pid, ticks: proc.cpuTicks, at: now };
      oracle.readingsSinceTick = 0;
      const s = samples.at(-1)!;
      if (now - printed >= 60_000) {
        printed = now;
        console.log(
          `  ${s.min.toFixed(1).padStart(6)} min  RSS ${s.rssMiB.toFixed(0)} MiB  heap ${s.heapUsedMiB.toFixed(1)} MiB  CPU ${s.cpuPct?.toFixed(0) ?? '-'} %  backlog ${s.backlogTelemetry} readings / ${s.backlogEvents} events  ${s.uplinkConnected ? 'up' : 'DOWN'}  ${s.readingsPerS.toFixed(0)} readings/s  load ${s.load1.toFixed(1)}`,
        );
      }
    }
  }

  // The day is over: let running happenings end (the last outage runs its full length), the
  // backlog drain, then a graceful stop.
  console.log('# waiting for the outbox to drain, then stopping the gateway');
  clearInterval(markTimer);
  for (const t of timers) clearTimeout(t);
  await Promise.all(running);
  await sleep(5000);
  const finalDrainMs = await drained(0, 10 * 60_000);
  await sleep(3000);
  const stopped = await gw.stop('SIGTERM');
  log.stops.push({ min: runMin(), how: 'final', ms: stopped.ms, exit: stopped.exit });
  const left = new AcceptedSet();
  left.addOutbox(join(dataDir, 'gridgate.db'));
  const verdict = oracle.verdict(log.windows);
  const report = writeReport(outDir, log, samples, oracle, verdict, {
    finalDrainS: finalDrainMs === undefined ? undefined : finalDrainMs / 1000,
    leftInOutbox: { readings: left.readings.size, events: left.events.size },
    gatewayTail: gw.tail.slice(-10),
  });
  await oracle.stop();
  await link.stop();
  await broker.stop();
  await site.stop();
  await nominal?.stop();
  if (!values['keep-data']) rmSync(dataDir, { recursive: true, force: true });
  program.cleanup();
  console.log(report);
  console.log(`\n  written: ${join(outDir, 'summary.json')} and ${join(outDir, 'chart.svg')}`);
  process.exit(0);
}

function describe(p: Planned): string {
  const w = p.what;
  const d = `${(p.durationMs / 1000).toFixed(0)} s`;
  switch (w.kind) {
    case 'outage':
      return `platform outage ${w.nominalS} s nominal → ${d}`;
    case 'camera-flap':
      return `camera flap (${w.mode}) of ${FLAP_CAMERAS.length} cameras, ${d}`;
    case 'modbus-noise':
      return `Modbus line noise (${w.fault}) on ${w.device}, ${d}`;
    case 'ui-config':
      return `UI config change: wl-underpass-01 polled every ${w.interval} ms`;
    case 'surge':
      return `New Year's Eve surge at cbd-square, climb over ${d}`;
    case 'kill-9':
      return `kill -9 of the gateway, started again after ${d}`;
    case 'restart':
      return `graceful restart (SIGTERM, start again after ${d})`;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
