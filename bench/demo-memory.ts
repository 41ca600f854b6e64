/**
 * npm run bench:demo-memory -- [--minutes M] [--sample-seconds S]
 *
 * The demo site's memory (issue 14 item 4: the 89-camera demo site ≤ 150 MB RSS): the simulators
 * of `npm start` (89 ONVIF cameras, 5 Modbus and 7 MQTT devices) in this process, the gateway as
 * a child process as the .deb installs it (compiled, the unit's node flags and environment), no
 * faults. Samples the child's RSS, its anonymous part and CPU every S seconds for M minutes
 * (default 5, 10 s) and prints the maximum after start-up (from the first sample after /readyz)
 * and the load average. The soak (npm run soak) does the same under faults for hours.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startDemoSite } from '../simulators/demo-site.js';
import { startPlatformBroker } from '../simulators/platform/platform-broker.js';
import { sleep } from './soak-faults.js';
import { GatewayChild, stagedProgram } from './soak-gateway.js';
import { procStat } from './soak-sampling.js';
import { freeOffset, writeSiteConfig } from './soak-site.js';

const ROOT = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { minutes: { type: 'string' }, 'sample-seconds': { type: 'string' } } });
const RUN_MS = Number(values.minutes ?? '5') * 60_000;
const SAMPLE_MS = Number(values['sample-seconds'] ?? '10') * 1000;
const TICK = 100; // USER_HZ: /proc's clock ticks per second on Linux

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function main() {
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  const program = stagedProgram(ROOT);
  const dataDir = mkdtempSync(join(tmpdir(), 'gridgate-demo-memory-'));
  const broker = await startPlatformBroker();
  const portOffset = await freeOffset();
  const site = await startDemoSite({ host: '127.0.0.1', portOffset });
  const httpPort = await freePort();
  const env = {
    ...process.env,
    GRIDGATE_PLATFORM_URL: broker.url,
    GRIDGATE_DATA_DIR: dataDir,
    GRIDGATE_HTTP_PORT: String(httpPort),
    GRIDGATE_LOG_LEVEL: 'warn',
  };
  const gw = new GatewayChild(program, env, httpPort, writeSiteConfig(ROOT, dataDir, portOffset));
  console.log(`# demo site memory, ${RUN_MS / 60_000} min, sample ${SAMPLE_MS / 1000} s; gateway: ${program.describe}; load ${load()}`);
  const readyMs = await gw.start();
  const pid = gw.pid!;
  console.log(`ready in ${(readyMs / 1000).toFixed(1)} s (pid ${pid})`);
  const t0 = performance.now();
  let max = 0;
  let last = procStat(pid);
  const first = last;
  while (performance.now() - t0 < RUN_MS && gw.alive()) {
    await sleep(SAMPLE_MS);
    const s = procStat(pid);
    if (!s) break;
    max = Math.max(max, s.rssMiB);
    const cpu = last ? ((s.cpuTicks - last.cpuTicks) / TICK / (SAMPLE_MS / 1000)) * 100 : Number.NaN;
    console.log(
      `t=${((performance.now() - t0) / 1000).toFixed(0)} s  RSS ${s.rssMiB.toFixed(1)} MiB (anon ${s.anonMiB.toFixed(1)})  CPU ${cpu.toFixed(1)} %  load ${load()}`,
    );
    last = s;
  }
  const cpuAll = first && last ? ((last.cpuTicks - first.cpuTicks) / TICK / ((performance.now() - t0) / 1000)) * 100 : Number.NaN;
  console.log(`RESULT max RSS after start-up ${max.toFixed(1)} MiB, end ${last?.rssMiB.toFixed(1)} MiB, CPU ${cpuAll.toFixed(1)} % of a core; load ${load()}`);
  await gw.stop('SIGTERM');
  await site.stop();
  await broker.stop();
  program.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
