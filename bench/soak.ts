/**
 * npm run soak -- --minutes N: the whole demo site (Modbus and MQTT simulators, the New Year's
 * Eve scenario, the camera set when the ONVIF driver is present) against a gateway child process,
 * with a platform outage every few minutes. Samples RSS, CPU, backlog and event latency every
 * 5 s; writes soak-results/<time>/summary.json and chart.svg.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { startDemoSite } from '../simulators/demo-site.js';
import { type PlatformBroker, startPlatformBroker } from '../simulators/platform/platform-broker.js';
import { runNewYearEve } from '../simulators/scenarios/new-year-eve.js';
import { svgChart } from './soak-chart.js';

const ROOT = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, 'outage-every': { type: 'string', default: '4' }, 'outage-seconds': { type: 'string', default: '45' } } });
const MINUTES = Number(values.minutes);
const OUTAGE_EVERY_MS = Number(values['outage-every']) * 60_000;
const OUTAGE_MS = Number(values['outage-seconds']) * 1000;
const SAMPLE_MS = 5000;

interface Sample {
  min: number;
  rssMiB: number;
  cpuPct: number;
  backlogReadings: number;
  backlogEvents: number;
  eventLatencyP99Ms: number;
  readingsPerS: number;
}

function procStat(pid: number): { rssMiB: number; cpuTicks: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { rssMiB: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024, cpuTicks: Number(stat[11]) + Number(stat[12]) };
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'gridgate-soak-'));
  const outDir = join(ROOT, 'soak-results', new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(outDir, { recursive: true });
  console.log(`# soak — ${MINUTES} min, outage of ${OUTAGE_MS / 1000} s every ${OUTAGE_EVERY_MS / 60_000} min; node ${process.version}, ${cpus().length} x ${cpus()[0]?.model}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  const httpPort = await freePort();
  let broker: PlatformBroker = await startPlatformBroker();
  const port = broker.port;
  const site = await startDemoSite({ host: '127.0.0.1' });
  const gateway: ChildProcess = spawn(process.execPath, ['--max-semi-space-size=2', '--import', 'tsx', join(ROOT, 'gateway/cli/main.ts'), 'run', '--config', join(ROOT, 'config/demo.yaml')], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, MALLOC_ARENA_MAX: '2', GRIDGATE_PLATFORM_URL: broker.url, GRIDGATE_DATA_DIR: dataDir, GRIDGATE_HTTP_PORT: String(httpPort), GRIDGATE_LOG_LEVEL: 'error' },
  });
  const pid = gateway.pid!;

  // The platform side: event latency (event time → arrival) and the backlog the gateway reports.
  let latencies: number[] = [];
  let readings = 0;
  // The backlog as the gateway reports it (its /metrics, served to loopback; /api/status needs a
  // UI login since issue 12), also while the platform is away.
  const backlogNow = async () => {
    try {
      const m = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      const items = (lane: string) => Number(new RegExp(`^gridgate_outbox_items\\{lane="${lane}"\\} (\\S+)$`, 'm').exec(m)?.[1] ?? 0);
      return { readings: items('telemetry'), events: items('events') };
    } catch {
      return { readings: 0, events: 0 };
    }
  };
  const watch = () => {
    const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 500 });
    c.on('connect', () => c.subscribe('gridgate/v1/#', { qos: 1 }));
    c.on('message', (topic, payload) => {
      if (topic.endsWith('/events')) latencies.push(Date.now() - Date.parse(JSON.parse(payload.toString()).ts));
      else if (topic.endsWith('/telemetry')) readings += (JSON.parse(payload.toString()).readings as unknown[]).length;

    });
    return c;
  };
  let platform = watch();

  const started = Date.now();
  const samples: Sample[] = [];
  const outages: Array<[number, number]> = [];
  let last = procStat(pid);
  let lastAt = Date.now();
  const ticksPerS = 100;
  const scenarioAt = (MINUTES * 60_000) / 3;
  let scenarioStarted = false;
  let nextOutage = OUTAGE_EVERY_MS;
  let outageUntil = 0;
  let outageFrom = 0;
  while (Date.now() - started < MINUTES * 60_000) {
    await new Promise((r) => setTimeout(r, SAMPLE_MS));
    const t = Date.now() - started;
    if (!scenarioStarted && t >= scenarioAt) {
      scenarioStarted = true;
      runNewYearEve({ modbus: site.modbus, counters: [{ device: 'pc-cbd-01', in: 'in', out: 'out' }, { device: 'pc-gate-02', in: 'in-total', out: 'out-total' }], zone: 'cbd-square', rampMs: scenarioAt, settleMs: 0 });
    }
    if (!outageUntil && t >= nextOutage) {
      nextOutage += OUTAGE_EVERY_MS;
      platform.end(true);
      await broker.stop();
      outageFrom = (Date.now() - started) / 60_000;
      outageUntil = Date.now() + OUTAGE_MS;
    }
    if (outageUntil && Date.now() >= outageUntil) {
      broker = await startPlatformBroker({ port });
      platform = watch();
      outages.push([outageFrom, (Date.now() - started) / 60_000]);
      outageUntil = 0;
    }
    const now = procStat(pid);
    const backlog = await backlogNow();
    const seconds = (Date.now() - lastAt) / 1000;
    const sorted = [...latencies].sort((a, b) => a - b);
    samples.push({
      min: (Date.now() - started) / 60_000,
      rssMiB: now.rssMiB,
      cpuPct: ((now.cpuTicks - last.cpuTicks) / ticksPerS / seconds) * 100,
      backlogReadings: backlog.readings,
      backlogEvents: backlog.events,
      eventLatencyP99Ms: sorted.length ? sorted[Math.floor(sorted.length * 0.99)]! : 0,
      readingsPerS: readings / seconds,
    });
    last = now;
    lastAt = Date.now();
    latencies = [];
    readings = 0;
    const s = samples.at(-1)!;
    console.log(`  ${s.min.toFixed(1)} min: RSS ${s.rssMiB.toFixed(0)} MiB, CPU ${s.cpuPct.toFixed(0)} %, backlog ${s.backlogReadings} readings / ${s.backlogEvents} events, event p99 ${s.eventLatencyP99Ms} ms, ${s.readingsPerS.toFixed(0)} readings/s`);
  }

  gateway.kill('SIGTERM');
  await new Promise((r) => gateway.once('exit', r));
  platform.end(true);
  await broker.stop();
  await site.stop();
  rmSync(dataDir, { recursive: true, force: true });

  const settled = samples.filter((s) => s.min > 1);
  const summary = {
    minutes: MINUTES,
    outages,
    rssMiB: { first: settled[0]?.rssMiB, last: settled.at(-1)?.rssMiB, max: Math.max(...samples.map((s) => s.rssMiB)) },
    cpuPct: { mean: samples.reduce((n, s) => n + s.cpuPct, 0) / samples.length, max: Math.max(...samples.map((s) => s.cpuPct)) },
    backlogMax: { readings: Math.max(...samples.map((s) => s.backlogReadings)), events: Math.max(...samples.map((s) => s.backlogEvents)) },
    eventLatencyP99MaxMs: Math.max(...samples.map((s) => s.eventLatencyP99Ms)),
    samples,
  };
  writeFileSync(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2));
  writeFileSync(
    join(outDir, 'chart.svg'),
    svgChart(
      `gridgate soak: ${MINUTES} min, demo site + New Year's Eve, outages shaded`,
      [
        { name: 'gateway RSS', unit: 'MiB', points: samples.map((s) => [s.min, s.rssMiB]) },
        { name: 'gateway CPU', unit: '% of one core', points: samples.map((s) => [s.min, s.cpuPct]) },
        { name: 'outbox backlog', unit: 'readings', points: samples.map((s) => [s.min, s.backlogReadings]) },
        { name: 'event latency p99 (event time → platform)', unit: 'ms', points: samples.map((s) => [s.min, s.eventLatencyP99Ms]) },
      ],
      outages,
    ),
  );
  console.log(`\n  summary: RSS ${summary.rssMiB.first?.toFixed(0)} → ${summary.rssMiB.last?.toFixed(0)} MiB (max ${summary.rssMiB.max.toFixed(0)}), CPU mean ${summary.cpuPct.mean.toFixed(1)} % max ${summary.cpuPct.max.toFixed(0)} %, backlog max ${summary.backlogMax.readings} readings, event p99 max ${summary.eventLatencyP99MaxMs} ms`);
  console.log(`  written: ${join(outDir, 'summary.json')} and chart.svg`);
  process.exit(0);
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
