/** What the soak measures of the gateway process: /proc for RSS and CPU, its /metrics for heap and backlog. */
import { readFileSync } from 'node:fs';

export interface Sample {
  /** Minutes since the start of the run. */
  min: number;
  /** Which start of the gateway (1, 2 after the kill -9, 3 after the restart). */
  life: number;
  rssMiB: number;
  /** Anonymous memory of RSS (/proc/PID/smaps_rollup): heap, malloc, SQLite's cache; the rest is mapped files (code). */
  anonMiB: number;
  /** V8's external memory (Buffers and other memory V8 objects hold outside the heap). */
  externalMiB: number;
  heapUsedMiB: number;
  heapTotalMiB: number;
  /** % of one core over the last interval (undefined across a restart). */
  cpuPct: number | undefined;
  backlogTelemetry: number;
  backlogEvents: number;
  uplinkConnected: boolean;
  /** Site load in this interval at the platform. */
  readingsPerS: number;
  load1: number;
}

/** RSS and its anonymous part (MiB) and CPU time (clock ticks, user + system) of a process, from /proc. */
export function procStat(pid: number): { rssMiB: number; anonMiB: number; cpuTicks: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    // Fields after the command name: state is [0], utime [11], stime [12] (proc(5)).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return {
      rssMiB: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024,
      anonMiB: Number(/^Anonymous:\s+(\d+)/m.exec(rollup)?.[1] ?? 0) / 1024,
      cpuTicks: Number(stat[11]) + Number(stat[12]),
    };
  } catch {
    return undefined;
  }
}

export interface Scrape {
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
  backlogTelemetry: number;
  backlogEvents: number;
  uplinkConnected: boolean;
  droppedTotal: number;
}

/**
 * The gateway's /metrics (served to loopback without a login): the outbox backlog per lane and
 * prom-client's default process metrics (prefix gridgate_), of which the V8 heap.
 */
export async function scrapeMetrics(httpPort: number): Promise<Scrape | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`, { signal: AbortSignal.timeout(4000) });
    if (!res.ok) return undefined;
    const text = await res.text();
    const one = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
    const sum = (re: RegExp) => [...text.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
    const mib = 1024 * 1024;
    return {
      heapUsedMiB: one(/^gridgate_nodejs_heap_size_used_bytes (\S+)$/m) / mib,
      heapTotalMiB: one(/^gridgate_nodejs_heap_size_total_bytes (\S+)$/m) / mib,
      externalMiB: one(/^gridgate_nodejs_external_memory_bytes (\S+)$/m) / mib,
      backlogTelemetry: one(/^gridgate_outbox_items\{lane="telemetry"\} (\S+)$/m),
      backlogEvents: one(/^gridgate_outbox_items\{lane="events"\} (\S+)$/m),
      uplinkConnected: one(/^gridgate_uplink_connected (\S+)$/m) === 1,
      droppedTotal: sum(/^gridgate_dropped_total\{[^}]*\} (\S+)$/gm),
    };
  } catch {
    return undefined;
  }
}

/** Least-squares line through (x, y): slope and intercept; undefined with fewer than 3 points. */
export function linearFit(points: Array<[number, number]>): { slope: number; intercept: number } | undefined {
  const n = points.length;
  if (n < 3) return undefined;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  if (sxx === 0) return undefined;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

/** The q-quantile (0..1) of values, nearest rank; undefined when empty. */
export function quantile(values: number[], q: number): number | undefined {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
