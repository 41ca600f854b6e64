/**
 * npm run bench:outbox — the outbox and uplink on one core.
 *  1. a bare better-sqlite3 batched-insert loop (the ceiling for comparison);
 *  2. readings/s from the bus to PUBACKed at a broker on loopback, default batching;
 *  3. drain of a 1 M-reading backlog after an outage, with a live event injected mid-drain;
 *  4. RSS with the 1 M backlog waiting.
 * The broker is Debian's Mosquitto in its own process (aedes in-process if it is missing), so
 * the gateway's core is measured alone.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { validateConfig } from '../gateway/config/load-config.js';
import { silentLogger } from '../gateway/core/logger.js';
import { Gateway } from '../gateway/daemon.js';
import type { RawSample } from '../gateway/devices/driver.js';
import { startPlatformBroker } from '../simulators/platform/platform-broker.js';

const TOTAL = Number(process.env.BENCH_READINGS ?? 500_000);
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 1_000_000);
const POINTS = 10;

async function startBroker(port: number, dir: string): Promise<{ stop: () => Promise<void>; name: string }> {
  if (existsSync('/usr/sbin/mosquitto')) {
    const conf = join(dir, `mosquitto-${port}.conf`);
    writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_inflight_messages 0\nmax_queued_messages 0\n`);
    const child: ChildProcess = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 300));
    return { name: 'mosquitto (separate process)', stop: async () => void child.kill('SIGKILL') };
  }
  const b = await startPlatformBroker({ port });
  return { name: 'aedes (in-process)', stop: b.stop };
}

function bareSqlite(dir: string): number {
  const db = new Database(join(dir, 'bare.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE r (row INTEGER PRIMARY KEY AUTOINCREMENT, ts_ms INTEGER, payload TEXT)');
  const insert = db.prepare('INSERT INTO r (ts_ms, payload) VALUES (?, ?)');
  const payload = JSON.stringify({
    id: '01HK0ZQ7A1B2C3D4E5F6G7H8J9',
    device: 'env-07',
    point: 'pm25',
    ts: new Date().toISOString(),
    value: 35.2,
    unit: 'ug/m3',
    quality: 'good',
  });
  const rows = 200_000;
  const started = performance.now();
  const tx = db.transaction((n: number) => {
    for (let i = 0; i < n; i++) insert.run(Date.now(), payload);
  });
  for (let i = 0; i < rows; i += 1000) tx(1000);
  const rate = rows / ((performance.now() - started) / 1000);
  db.close();
  return rate;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'gridgate-bench-'));
  console.log(
    `# bench:outbox — node ${process.version}, ${cpus().length} x ${cpus()[0]?.model}, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(`  readings: ${TOTAL} through the pipeline, ${BACKLOG} as backlog; ${POINTS} points per sample batch; outbox synchronous=FULL`);

  const port = 20000 + Math.floor(Math.random() * 20000);
  let broker = await startBroker(port, dir);
  console.log(`  broker: ${broker.name} on 127.0.0.1:${port}`);
  const url = `mqtt://127.0.0.1:${port}`;
  const raw = {
    gateway: 'gw-bench',
    site: 'bench',
    dataDir: join(dir, 'data'),
    platform: { url, reconnect: { minDelayMs: 200, maxDelayMs: 1000 } },
    http: { port: 0 },
    log: { level: 'error' },
    devices: [
      {
        id: 'bench-1',
        kind: 'other',
        driver: 'synthetic',
        intervalMs: 3_600_000,
        points: Array.from({ length: POINTS }, (_, i) => ({ name: `p${i}`, unit: 'Cel' })),
      },
    ],
  };
  const result = validateConfig(raw, { baseDir: dir, env: {} });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  const gateway = new Gateway({ config: result.loaded.config, baseDir: dir, log: silentLogger(), env: {} });
  await gateway.start();
  await waitFor(() => gateway.status().uplink.connected, 10_000);
  const baselineRss = process.memoryUsage().rss;

  const sample = (n: number): RawSample[] => Array.from({ length: POINTS }, (_, i) => ({ device: 'bench-1', point: `p${i}`, ts: Date.now(), raw: n + i }));
  const produce = async (count: number) => {
    for (let sent = 0; sent < count; ) {
      for (let k = 0; k < 200 && sent < count; k++, sent += POINTS) gateway.bus.emit('samples', sample(sent));
      await new Promise((r) => setImmediate(r));
    }
  };
  const backlog = () => gateway.status().outbox.telemetry.count;

  // 2. bus → PUBACK
  const cpu0 = process.cpuUsage();
  let started = performance.now();
  await produce(TOTAL);
  await waitFor(() => backlog() === 0, 120_000);
  let seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  console.log(`\n## 2. bus → outbox → PUBACK, default batching (1000 readings, 1 s)`);
  console.log(
    `  ${Math.round(TOTAL / seconds).toLocaleString('en')} readings/s (${TOTAL} in ${seconds.toFixed(2)} s), gateway CPU ${(((cpu.user + cpu.system) / 1e6 / seconds) * 100).toFixed(0)} % of one core`,
  );

  if (BACKLOG === 0) {
    await gateway.stop();
    await broker.stop();
    console.log(
      `\n## 1. bare better-sqlite3 batched insert, same process (WAL, FULL, 1000 rows per transaction)\n  ${Math.round(bareSqlite(dir)).toLocaleString('en')} rows/s`,
    );
    return;
  }
  // 3 + 4. outage: backlog, then drain with a live event mid-way
  await broker.stop();
  await waitFor(() => !gateway.status().uplink.connected, 10_000);
  started = performance.now();
  await produce(BACKLOG);
  gateway.status(); // flush
  await new Promise((r) => setTimeout(r, 200));
  const fillSeconds = (performance.now() - started) / 1000;
  // Settle, then full collections (node --expose-gc), so RSS is what the backlog keeps, not the
  // garbage of filling it at 200k readings/s.
  const rssRightAfterFill = process.memoryUsage().rss;
  const gc = (globalThis as { gc?: () => void }).gc;
  await new Promise((r) => setTimeout(r, 2000));
  gc?.();
  await new Promise((r) => setTimeout(r, 500));
  gc?.();
  const mem = process.memoryUsage();
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MB`;
  console.log(
    `\n## 4. RSS with a ${BACKLOG.toLocaleString('en')}-reading backlog waiting: ${mb(mem.rss)} (V8 heap used ${mb(mem.heapUsed)} of ${mb(mem.heapTotal)}, external ${mb(mem.external)}; RSS of the started gateway before any data: ${mb(baselineRss)}; right after the fill, before settling: ${mb(rssRightAfterFill)}); filled at ${Math.round(BACKLOG / fillSeconds).toLocaleString('en')} readings/s while offline`,
  );

  broker = await startBroker(port, dir);
  const watcher = mqtt.connect(url, { clientId: 'bench-watch' });
  const eventArrived = new Map<string, number>();
  await new Promise<void>((r) => watcher.on('connect', () => watcher.subscribe('gridgate/v1/bench/gw-bench/events', { qos: 1 }, () => r())));
  watcher.on('message', (_t, p) => eventArrived.set(JSON.parse(p.toString()).type, performance.now()));
  started = performance.now();
  let injectedAt = 0;
  await waitFor(() => {
    if (!injectedAt && backlog() < BACKLOG / 2) {
      injectedAt = performance.now();
      gateway.bus.emit('driver-event', { device: 'bench-1', type: 'fireworks', state: 'pulse', severity: 'major', message: 'live event during the drain' });
    }
    return backlog() === 0;
  }, 300_000);
  seconds = (performance.now() - started) / 1000;
  await waitFor(() => eventArrived.has('fireworks'), 10_000);
  console.log(`\n## 3. drain of the ${BACKLOG.toLocaleString('en')}-reading backlog after the broker came back`);
  console.log(`  ${Math.round(BACKLOG / seconds).toLocaleString('en')} readings/s (${seconds.toFixed(1)} s)`);
  console.log(`  live event injected at 50 % of the drain reached the broker in ${(eventArrived.get('fireworks')! - injectedAt).toFixed(1)} ms`);

  watcher.end(true);
  await gateway.stop();
  await broker.stop();
  // Last, so its allocations do not count in the RSS figures above.
  console.log(
    `\n## 1. bare better-sqlite3 batched insert, same process (WAL, FULL, 1000 rows per transaction)\n  ${Math.round(bareSqlite(dir)).toLocaleString('en')} rows/s`,
  );
  rmSync(dir, { recursive: true, force: true });
  console.log(
    `\n  load after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error('bench: timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
