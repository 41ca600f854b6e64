/**
 * Markdown tables of a bench:peers run (JSON lines): per load, Node-RED and gridgate side by side
 * with the ratio, and the load average at the start of each measurement.
 * Usage: tsx bench/peers-table.ts bench-peers-<time>.jsonl
 */
import { readFileSync } from 'node:fs';

interface Run {
  readings_s: number;
  nominal_readings_s: number;
  peer_cpu_pct: number;
  peer_rss_mb: number;
  peer_rss_max_mb: number;
  lat_ms_p50: number;
  lat_ms_p99: number;
}
interface Line {
  peer?: 'nodered' | 'gridgate';
  interval_ms?: number;
  devices?: number;
  load_before?: number[];
  run?: Run | null;
  storage?: Record<string, unknown>;
}

const lines = readFileSync(process.argv[2]!, 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as Line);
const storage = lines.find((l) => l.storage);
if (storage) console.log(`Storage limits (same run): ${JSON.stringify(storage.storage)}\n`);
const f = (x: number | undefined, d = 0) => (x === undefined || x === null ? 'n/a' : x.toFixed(d));
console.log(
  '| load (interval × devices × 100 regs) | nominal readings/s | delivered/s NR / gg | CPU % of a core NR / gg (ratio) | RSS MB end NR / gg (max gg) | latency p50/p99 ms NR / gg | load avg (1 min) NR / gg |',
);
console.log('|---|---|---|---|---|---|---|');
const keys = [...new Set(lines.filter((l) => l.peer).map((l) => `${l.interval_ms}:${l.devices}`))];
for (const k of keys) {
  const [iv, dev] = k.split(':').map(Number);
  const of = (p: string) => lines.find((l) => l.peer === p && l.interval_ms === iv && l.devices === dev);
  const nr = of('nodered');
  const gg = of('gridgate');
  const a = nr?.run ?? undefined;
  const b = gg?.run ?? undefined;
  const ratio = a && b ? (b.peer_cpu_pct / a.peer_cpu_pct).toFixed(2) : 'n/a';
  console.log(
    `| ${iv} ms × ${dev} | ${f(a?.nominal_readings_s ?? b?.nominal_readings_s)} | ${f(a?.readings_s)} / ${f(b?.readings_s)} | ${f(a?.peer_cpu_pct, 1)} / ${f(b?.peer_cpu_pct, 1)} (${ratio}×) | ${f(a?.peer_rss_mb)} / ${f(b?.peer_rss_mb)} (${f(b?.peer_rss_max_mb)}) | ${f(a?.lat_ms_p50)}/${f(a?.lat_ms_p99)} / ${f(b?.lat_ms_p50)}/${f(b?.lat_ms_p99)} | ${nr?.load_before?.[0] ?? 'n/a'} / ${gg?.load_before?.[0] ?? 'n/a'} |`,
  );
}
