/**
 * tsx bench/leak-probe.ts --minutes M [--snap-at 3,12] : the demo site against a gateway (from source)
 * with --heapsnapshot-signal=SIGUSR2; prints external memory every 30 s and writes heap snapshots
 * at the given minutes into /tmp/s5leak. No faults: steady load only.
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startDemoSite } from '../simulators/demo-site.js';
import { raise } from '../simulators/onvif/analytics.js';
import { MARK_CAMERAS } from './soak-faults.js';
import { startPlatformBroker } from '../simulators/platform/platform-broker.js';
import { sleep } from './soak-faults.js';
import { GatewayChild, sourceProgram } from './soak-gateway.js';
import { scrapeMetrics } from './soak-sampling.js';
import { freeOffset, writeSiteConfig } from './soak-site.js';

const ROOT = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { marks: { type: 'string' }, minutes: { type: 'string' }, 'snap-at': { type: 'string' }, out: { type: 'string' } } });
const MIN = Number(values.minutes ?? '10');
const SNAPS = (values['snap-at'] ?? '').split(',').filter(Boolean).map(Number);
const OUT = values.out ?? '/tmp/s5leak';

const freePort = () =>
  new Promise<number>((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => r(typeof a === 'object' && a ? a.port : 0));
    });
  });

const broker = await startPlatformBroker();
const offset = await freeOffset();
const site = await startDemoSite({ host: '127.0.0.1', portOffset: offset });
const dataDir = mkdtempSync(join(tmpdir(), 'gridgate-leak-'));
const cfg = writeSiteConfig(ROOT, dataDir, offset);
const httpPort = await freePort();
const base = sourceProgram(ROOT);
const program = { ...base, nodeArgs: [`--heapsnapshot-signal=SIGUSR2`, `--diagnostic-dir=${OUT}`, '--max-semi-space-size=8', ...base.nodeArgs.slice(1)] };
const gw = new GatewayChild(
  program,
  { ...process.env, GRIDGATE_PLATFORM_URL: broker.url, GRIDGATE_DATA_DIR: dataDir, GRIDGATE_HTTP_PORT: String(httpPort), GRIDGATE_LOG_LEVEL: 'warn' },
  httpPort,
  cfg,
  join(OUT, 'gateway.log'),
);
await gw.start();
const t0 = Date.now();
// Marks as the soak raises them: smoke on a mark camera every MARKS ms (0: none), cleared 1.5 s later.
const MARK_MS = Number(values.marks ?? '5000');
let n = 0;
if (MARK_MS > 0)
  setInterval(() => {
    const cam = site.cameras.camera(MARK_CAMERAS[++n % MARK_CAMERAS.length]!);
    raise(cam, 'smoke', { on: true, extra: { SoakMark: String(n) } });
    setTimeout(() => raise(cam, 'smoke', { on: false, extra: { SoakMark: `${n}-off` } }), 1500);
  }, MARK_MS);
const done = new Set<number>();
while (Date.now() - t0 < MIN * 60_000) {
  await sleep(30_000);
  const m = await scrapeMetrics(httpPort);
  const min = (Date.now() - t0) / 60_000;
  console.log(`${min.toFixed(1)} min external ${m?.externalMiB.toFixed(2)} MiB heap ${m?.heapUsedMiB.toFixed(1)} load ${loadavg()[0]!.toFixed(2)}`);
  for (const s of SNAPS)
    if (min >= s && !done.has(s)) {
      done.add(s);
      gw.child?.kill('SIGUSR2');
      console.log(`snapshot at ${min.toFixed(1)} min`);
    }
}
await gw.stop('SIGTERM');
await site.stop();
await broker.stop();
process.exit(0);
