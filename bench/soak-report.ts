/** The soak's figures: fits, quantiles, the oracle's verdict; summary.json, chart.svg and the printed table. */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { svgChart } from './soak-chart.js';
import type { PlatformOracle } from './soak-oracle.js';
import { linearFit, quantile, type Sample } from './soak-sampling.js';

export interface RunLog {
  startedAt: number;
  runMs: number;
  /** How the gateway ran (GatewayProgram.describe). */
  program: string;
  /** What the gateway polls and watches (the demo site, and the nominal Modbus load beside it). */
  site: string;
  compress: number;
  sampleMs: number;
  loadAtStart: number[];
  happenings: Array<{ dayHour: number; min: number; what: string }>;
  outages: Array<{ dayHour: number; fromMin: number; toMin: number; nominalS: number; runS: number; drainS: number | undefined }>;
  /** Spans (wall ms) where repeats are expected and latency is not judged: outages and restarts until drained. */
  /** Outages and stops (from: the signal sent; stoppedAt: the process gone), wall ms. */
  windows: Array<{ cause: string; from: number; stoppedAt?: number; to: number; drainS?: number }>;
  /** Further spans where latency is not judged (camera blips: the camera holds its events). */
  latencyExcluded: Array<{ cause: string; from: number; to: number }>;
  starts: Array<{ at: number; life: number; readyMs: number }>;
  stops: Array<{ min: number; how: string; ms: number; exit: string }>;
  uiChanges: Array<{ min: number; intervalMs: number; status: number; ms: number; version?: number; applied?: string; error?: string }>;
}

/** Warm-up left out of the memory fits: 30 min, or a quarter of a shorter run. */
function warmupMin(runMs: number): number {
  return Math.min(30, runMs / 60_000 / 4);
}

interface End {
  finalDrainS: number | undefined;
  leftInOutbox: { readings: number; events: number };
  gatewayTail: string[];
}

/** Writes summary.json and chart.svg into outDir; returns the table to print. */
export function writeReport(
  outDir: string,
  log: RunLog,
  samples: Sample[],
  oracle: PlatformOracle,
  verdict: ReturnType<PlatformOracle['verdict']>,
  end: End,
): string {
  const summary = summarize(log, samples, oracle, verdict, end);
  writeFileSync(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2));
  const toMin = (t: number) => (t - log.startedAt) / 60_000;
  const spans = log.outages.map((o) => [o.fromMin, o.toMin] as [number, number]);
  const restarts = log.windows
    .filter((w) => w.cause !== 'outage')
    .map((w) => `${w.cause} at ${toMin(w.from).toFixed(0)} min`)
    .join(', ');
  writeFileSync(
    join(outDir, 'chart.svg'),
    svgChart(
      `gridgate soak: a day in ${summary.runMin} min (outages shaded; ${restarts})`,
      [
        { name: 'gateway RSS', unit: 'MiB', points: samples.map((s) => [s.min, s.rssMiB]) },
        { name: 'V8 heap used', unit: 'MiB', points: samples.map((s) => [s.min, s.heapUsedMiB]) },
        { name: 'gateway CPU', unit: '% of one core', points: samples.filter((s) => s.cpuPct !== undefined).map((s) => [s.min, s.cpuPct!]) },
        { name: 'outbox backlog', unit: 'readings', points: samples.map((s) => [s.min, s.backlogTelemetry]) },
        { name: 'outbox backlog', unit: 'events', points: samples.map((s) => [s.min, s.backlogEvents]) },
      ],
      spans,
      log.windows.filter((w) => w.cause !== 'outage').map((w) => [toMin(w.from), w.cause] as [number, string]),
    ),
  );
  return table(summary);
}

function summarize(log: RunLog, samples: Sample[], oracle: PlatformOracle, verdict: ReturnType<PlatformOracle['verdict']>, end: End) {
  const warm = warmupMin(log.runMs);
  // One fit per life of the gateway (a restart starts memory from scratch), after its warm-up.
  const lives = [...new Set(samples.map((s) => s.life))].map((life) => {
    const of = samples.filter((s) => s.life === life);
    const from = of[0]!.min + warm;
    const fitted = of.filter((s) => s.min >= from);
    const perHour = (pick: (s: Sample) => number) => {
      const f = linearFit(fitted.map((s) => [s.min / 60, pick(s)]));
      return f ? round(f.slope * 1.048576, 2) : undefined; // MiB/h → MB/h
    };
    return {
      life,
      fromMin: round(of[0]!.min, 1),
      toMin: round(of.at(-1)!.min, 1),
      fitFromMin: round(from, 1),
      fittedSamples: fitted.length,
      rssMBperH: perHour((s) => s.rssMiB),
      heapUsedMBperH: perHour((s) => s.heapUsedMiB),
      // Where RSS grows when it does: V8's heap as reserved, Buffers, or native memory outside V8 (malloc, SQLite).
      heapTotalMBperH: perHour((s) => s.heapTotalMiB),
      externalMBperH: perHour((s) => s.externalMiB),
      anonOutsideV8MBperH: perHour((s) => s.anonMiB - s.heapTotalMiB - s.externalMiB),
      rssMiB: { min: round(Math.min(...of.map((s) => s.rssMiB)), 0), max: round(Math.max(...of.map((s) => s.rssMiB)), 0), last: round(of.at(-1)!.rssMiB, 0) },
      heapUsedMiB: {
        min: round(Math.min(...of.map((s) => s.heapUsedMiB)), 1),
        max: round(Math.max(...of.map((s) => s.heapUsedMiB)), 1),
        last: round(of.at(-1)!.heapUsedMiB, 1),
      },
    };
  });
  const cpu = samples.map((s) => s.cpuPct).filter((c): c is number => c !== undefined);
  const inWindow = (t: number) => [...log.windows, ...log.latencyExcluded].some((w) => t >= w.from && t <= w.to);
  const calm = oracle.events.filter((e) => Number.isFinite(e.ts) && !inWindow(e.ts) && !inWindow(e.at));
  const latencies = calm.map((e) => e.at - e.ts);
  // Per event type: events with a snapshot wait for the picture (up to 3 s) before they are sent.
  const byType: Record<string, { events: number; p99: number | undefined }> = {};
  for (const type of [...new Set(calm.map((e) => e.type))].sort()) {
    const l = calm.filter((e) => e.type === type).map((e) => e.at - e.ts);
    byType[type] = { events: l.length, p99: quantile(l, 0.99) };
  }
  return {
    command: `npm run soak -- ${process.argv.slice(2).join(' ')}`,
    gateway: log.program,
    site: log.site,
    startedAt: new Date(log.startedAt).toISOString(),
    machine: {
      node: process.version,
      cpus: `${cpus().length} x ${cpus()[0]?.model}`,
      loadAtStart: log.loadAtStart.map((l) => round(l, 2)),
      loadAtEnd: loadavg().map((l) => round(l, 2)),
      load1Mean: round(mean(samples.map((s) => s.load1)) ?? 0, 2),
    },
    runMin: round(log.runMs / 60_000, 1),
    compress: round(log.compress, 2),
    dayHourInRunMin: round(log.runMs / 24 / 60_000, 2),
    memory: { warmupMin: round(warm, 1), lives },
    cpuPctOfOneCore: { mean: round(mean(cpu) ?? 0, 1), p95: round(quantile(cpu, 0.95) ?? 0, 0), max: round(Math.max(0, ...cpu), 0) },
    eventLatencyMs: {
      excluded: 'events raised or arriving during an outage, a kill -9 or restart (until drained) or a camera blip',
      outsideOutages: { events: latencies.length, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: Math.max(0, ...latencies) },
      byType,
    },
    backlogMax: { readings: Math.max(0, ...samples.map((s) => s.backlogTelemetry)), events: Math.max(0, ...samples.map((s) => s.backlogEvents)) },
    outages: log.outages,
    restarts: log.windows
      .filter((w) => w.cause !== 'outage')
      .map((w) => ({ cause: w.cause, atMin: round((w.from - log.startedAt) / 60_000, 1), drainS: w.drainS })),
    starts: log.starts.map((s) => ({ life: s.life, readyMs: Math.round(s.readyMs) })),
    stops: log.stops.map((s) => ({ ...s, ms: Math.round(s.ms), min: round(s.min, 1) })),
    uiChanges: log.uiChanges.map((c) => ({ ...c, ms: Math.round(c.ms), min: round(c.min, 1) })),
    crowd: crowdSeen(oracle),
    oracle: { ...verdict, finalDrainS: end.finalDrainS, leftInOutbox: end.leftInOutbox },
    happenings: log.happenings.map((h) => ({ ...h, min: round(h.min, 1) })),
    gatewayStderrTail: end.gatewayTail,
    samples,
  };
}

/** The surge's expected outcome at the platform: crowd levels 3, 2, 1 and the switch to emergency. */
function crowdSeen(oracle: PlatformOracle) {
  const crowd = oracle.events.filter((e) => e.type === 'crowd.threshold');
  const modes = oracle.events.filter((e) => e.type === 'mode.changed');
  return {
    crowdThresholdEvents: crowd.length,
    levels: [...new Set(crowd.map((e) => e.data?.level))],
    modeChanges: modes.map((e) => e.data?.to ?? e.data?.mode),
  };
}

type Summary = ReturnType<typeof summarize>;

function table(s: Summary): string {
  const o = s.oracle;
  const lane = (name: string, l: Summary['oracle']['telemetry']) =>
    `${name}: ${l.messages} messages, last seq ${l.lastSeq}, gaps ${l.gaps}, reordered ${l.reordered}, repeats ${l.repeats} ${JSON.stringify(l.repeatsByCause)}`;
  const rows: Array<[string, string]> = [
    ['run', `${s.runMin} min = one site day (1 day hour = ${s.dayHourInRunMin} min), fault durations / ${s.compress}`],
    ['gateway', s.gateway],
    ['site', s.site],
    ['machine', `${s.machine.cpus}, node ${s.machine.node}, load avg 1 min mean ${s.machine.load1Mean} (start ${s.machine.loadAtStart.join(' ')})`],
    ...s.memory.lives.map(
      (l) =>
        [
          `life ${l.life} (${l.fromMin}-${l.toMin} min)`,
          `RSS ${l.rssMiB.min}-${l.rssMiB.max} MiB, slope ${fmt(l.rssMBperH)} MB/h; heap ${l.heapUsedMiB.min}-${l.heapUsedMiB.max} MiB, slope ${fmt(l.heapUsedMBperH)} MB/h (fit from ${l.fitFromMin} min, ${l.fittedSamples} samples); slopes of V8 heap reserved ${fmt(l.heapTotalMBperH)}, external ${fmt(l.externalMBperH)}, other anonymous ${fmt(l.anonOutsideV8MBperH)} MB/h`,
        ] as [string, string],
    ),
    ['CPU (% of one core)', `mean ${s.cpuPctOfOneCore.mean}, p95 ${s.cpuPctOfOneCore.p95}, max ${s.cpuPctOfOneCore.max}`],
    [
      'event latency outside outages',
      `p50 ${s.eventLatencyMs.outsideOutages.p50 ?? '-'} ms, p99 ${s.eventLatencyMs.outsideOutages.p99 ?? '-'} ms, max ${s.eventLatencyMs.outsideOutages.max} ms (${s.eventLatencyMs.outsideOutages.events} events)`,
    ],
    [
      'latency p99 by type',
      Object.entries(s.eventLatencyMs.byType)
        .map(([t, v]) => `${t} ${v.p99} ms (${v.events})`)
        .join(', '),
    ],
    ['backlog max', `${s.backlogMax.readings} readings, ${s.backlogMax.events} events`],
    ...s.outages.map(
      (x) =>
        [
          `outage at ${x.fromMin.toFixed(1)} min`,
          `${x.runS} s (nominal ${x.nominalS} s), drained ${x.drainS === undefined ? 'NOT within 30 min' : `${x.drainS.toFixed(1)} s`} after the link came back`,
        ] as [string, string],
    ),
    ...s.restarts.map(
      (x) =>
        [`${x.cause} at ${x.atMin} min`, `drained ${x.drainS === undefined ? 'NOT within 30 min' : `${x.drainS.toFixed(1)} s`} after ready`] as [
          string,
          string,
        ],
    ),
    ['starts (ready after)', s.starts.map((x) => `${x.readyMs} ms`).join(', ')],
    ['stops', s.stops.map((x) => `${x.how} ${x.ms} ms (${x.exit})`).join(', ')],
    [
      'UI config changes',
      s.uiChanges
        .map((c) => `HTTP ${c.status}, version ${c.version ?? '-'} ${c.applied ?? 'not applied'}${c.error ? ` ${c.error}` : ''} (${c.ms} ms)`)
        .join(', ') || 'none',
    ],
    [
      'New Year surge',
      `crowd.threshold events ${s.crowd.crowdThresholdEvents} (levels ${s.crowd.levels.join(', ')}), mode changes ${s.crowd.modeChanges.join(', ') || 'none'}`,
    ],
    ['oracle telemetry', lane('telemetry', o.telemetry)],
    ['oracle events', lane('events', o.events)],
    [
      'oracle marks',
      `${o.marks.arrived} of ${o.marks.raised} raised events arrived${o.marks.raisedNearStop ? `; ${o.marks.raisedNearStop - o.marks.onTheWireAtStop} of ${o.marks.raisedNearStop} raised < 1 s before a stop (the others on the wire in a pull answer)` : ''}${o.marks.raisedWhileDown ? `; ${o.marks.arrivedWhileDown} of ${o.marks.raisedWhileDown} raised while the gateway was down` : ''}${o.marks.missing.length ? `; missing ${o.marks.missing.map((m) => `#${m.mark} ${m.camera} (${m.during})`).join(', ')}` : ''}`,
    ],
    [
      'left in outbox',
      `${o.leftInOutbox.readings} readings, ${o.leftInOutbox.events} events (final drain ${o.finalDrainS === undefined ? 'NOT complete' : `${o.finalDrainS.toFixed(1)} s`})`,
    ],
    ['data_dropped events', String(o.dataDroppedEvents)],
    [
      'VERDICT',
      o.ok && o.leftInOutbox.readings === 0 && o.leftInOutbox.events === 0
        ? 'PASS: nothing lost or reordered; repeats only around outages and the kill -9'
        : 'FAIL: see the lines above',
    ],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  return `\n# soak summary\n${rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n')}`;
}

function fmt(v: number | undefined): string {
  return v === undefined ? '-' : v.toFixed(2);
}

function mean(values: number[]): number | undefined {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : undefined;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
