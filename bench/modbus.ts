/**
 * Modbus driver benchmark: `npx tsx bench/modbus.ts` (about a minute).
 *
 *  1. 50 devices x 100 points at 1 s over Modbus TCP: CPU of the gateway process (% of one
 *     core) and requests per cycle against one request per point.
 *  2. Readings/s ceiling on one core: the same fleet at the shortest interval (50 ms).
 *  3. A simulated RTU line (RTU over TCP, one request at a time) with 20 devices, all healthy,
 *     then one of them dead: how much the others' cycles grow (goal: at most one timeout).
 *  4. Register maps with holes (exception 02 inside a coalesced block): requests per cycle of
 *     the hole-aware planner, against pymodbus (Debian python3-pymodbus, a peer we did not
 *     write) and the simulator's 100-point meter with holes. `npm run bench:modbus -- holes`
 *     runs this part alone (a few seconds).
 *
 * The simulator runs in a child process (simulators/modbus/cli.ts) so its CPU is not counted.
 * The machine is shared: the load average is printed with the figures.
 */
import { cpus, loadavg } from 'node:os';
import { ModbusDriver } from '../drivers/modbus/modbus-driver.js';
import { startSimulatorProcess } from './modbus-sim-process.js';
import { readModbusProfile, SHIPPED_MODBUS_PROFILES } from '../drivers/modbus/profile-file.js';
import { planBlocks } from '../drivers/modbus/block-planner.js';
import { startPymodbus } from '../test/modbus/peers/pymodbus.js';
import { resolvePoint } from '../drivers/modbus/resolved-point.js';
import { type ModbusDeviceConfig, modbusDeviceSchema } from '../drivers/modbus/schema.js';
import { systemClock } from '../gateway/core/clock.js';
import { silentLogger } from '../gateway/core/logger.js';
import type { Mode } from '../gateway/core/model.js';
import type { DriverContext, RawSample } from '../gateway/devices/driver.js';

/** A context that only counts (the pipeline's cost is not the driver's). */
class CountingContext implements DriverContext {
  readonly log = silentLogger();
  readonly clock = systemClock;
  samplesSeen = 0;
  bad = 0;
  statuses: string[] = [];
  samples(batch: RawSample[]): void {
    this.samplesSeen += batch.length;
    for (const s of batch) if (s.quality === 'bad') this.bad++;
  }
  event(): void {}
  status(device: string, update: { status: string }): void {
    this.statuses.push(`${device}:${update.status}`);
  }
  mode(): Mode {
    return 'normal';
  }
  onModeChange(): () => void {
    return () => {};
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measure(ms: number, ctx: CountingContext) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const s0 = ctx.samplesSeen;
  await sleep(ms);
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  return { cpuPct: ((cpu.user + cpu.system) / 1000 / wall) * 100, samplesPerSec: ((ctx.samplesSeen - s0) * 1000) / wall, wallMs: wall };
}

function totals(driver: ModbusDriver, ids: string[]) {
  let requests = 0;
  let errors = 0;
  for (const id of ids) {
    const s = driver.stats(id);
    requests += s.requests;
    errors += Object.values(s.errors).reduce((a, b) => a + b, 0);
  }
  return { requests, errors };
}

const fmt = (n: number, d = 1) => n.toFixed(d);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function fleet(intervalMs: number, seconds: number, label: string): Promise<void> {
  const sim = await startSimulatorProcess(['power-meter-3p:50'], 50);
  const profile = await readModbusProfile('power-meter-3p');
  const ctx = new CountingContext();
  const driver = new ModbusDriver();
  await driver.start(ctx);
  const ids: string[] = [];
  for (const e of sim.endpoints) {
    const device: ModbusDeviceConfig = modbusDeviceSchema.parse({
      id: e.id,
      kind: 'modbus',
      driver: 'modbus',
      connection: { transport: 'tcp', host: '127.0.0.1', port: e.port },
      unitId: e.unit,
      intervalMs,
      // Every point at the fleet's interval, the settings group included: 100 points per cycle.
      pollGroups: { default: { intervalMs }, settings: { intervalMs } },
      points: profile.points,
    });
    await driver.addDevice(device);
    ids.push(e.id);
  }
  await sleep(3000);
  const before = totals(driver, ids);
  const m = await measure(seconds * 1000, ctx);
  const after = totals(driver, ids);
  const requestsPerSec = ((after.requests - before.requests) * 1000) / m.wallMs;
  const overruns = ids.reduce((n, id) => n + driver.stats(id).overruns, 0);
  console.log(`\n## ${label}: 50 devices x 100 points (power-meter-3p) every ${intervalMs} ms over Modbus TCP, ${seconds} s measured`);
  console.log(`  gateway CPU:           ${fmt(m.cpuPct)} % of one core`);
  console.log(`  readings/s:            ${fmt(m.samplesPerSec, 0)} (asked: ${fmt(5000 * (1000 / intervalMs), 0)})`);
  console.log(`  requests/s:            ${fmt(requestsPerSec, 0)}`);
  console.log(`  requests per point:    ${fmt(requestsPerSec / m.samplesPerSec, 3)} (1 = one request per point)`);
  console.log(`  errors: ${after.errors - before.errors}, bad readings: ${ctx.bad}, overruns (cycle still busy at next tick): ${overruns}`);
  if (m.cpuPct > 0) console.log(`  => ceiling estimate:    ~${fmt((m.samplesPerSec * 100) / m.cpuPct, 0)} readings/s per core at this request mix`);
  console.log(`  load average:          ${load()}`);
  await driver.stop(AbortSignal.timeout(5000));
  await sim.stop();
}

async function rtuLine(): Promise<void> {
  const timeoutMs = 100;
  const intervalMs = 500;
  const sim = await startSimulatorProcess(['--rtu-over-tcp', '--port', '0', 'people-counter:20'], 20);
  const profile = await readModbusProfile('modbus-people-counter');
  const run = async (dead: string | undefined) => {
    const ctx = new CountingContext();
    const driver = new ModbusDriver();
    await driver.start(ctx);
    const ids: string[] = [];
    if (dead) sim.child.stdin!.write(`fault ${dead} no-answer\n`);
    for (const e of sim.endpoints) {
      await driver.addDevice(
        modbusDeviceSchema.parse({
          id: e.id,
          kind: 'modbus',
          driver: 'modbus',
          connection: { transport: 'rtu-over-tcp', host: '127.0.0.1', port: e.port },
          unitId: e.unit,
          intervalMs,
          timeoutMs,
          // The breaker is kept shut (no offline) to show the worst case: a timeout every cycle.
          breaker: { failCycles: 100 },
          points: profile.points,
        }),
      );
      ids.push(e.id);
    }
    await sleep(8000);
    const healthy = ids.filter((id) => id !== dead);
    const cycles = healthy.map((id) => driver.stats(id).cycleMs);
    const deadStats = dead ? driver.stats(dead) : undefined;
    await driver.stop(AbortSignal.timeout(5000));
    if (dead) sim.child.stdin!.write(`clear ${dead}\n`);
    return {
      avg: cycles.reduce((a, c) => a + c.avg, 0) / cycles.length,
      max: Math.max(...cycles.map((c) => c.max)),
      deadTimeouts: deadStats?.errors.timeout ?? 0,
      deadCycles: deadStats?.cycles ?? 0,
    };
  };
  const healthy = await run(undefined);
  const withDead = await run(sim.endpoints[7]!.id);
  console.log(`\n## RTU line: 20 people counters (2 reads each) on one RTU-over-TCP line, every ${intervalMs} ms, timeout ${timeoutMs} ms, 8 s per run`);
  console.log(`  all healthy:           cycle avg ${fmt(healthy.avg, 2)} ms, max ${fmt(healthy.max, 2)} ms`);
  console.log(`  one dead (unit 8):     cycle avg ${fmt(withDead.avg, 2)} ms, max ${fmt(withDead.max, 2)} ms (others)`);
  console.log(`  growth of the others' worst cycle: ${fmt(withDead.max - healthy.max, 1)} ms (limit: one timeout = ${timeoutMs} ms)`);
  console.log(`  dead device: ${withDead.deadTimeouts} timeouts in ${withDead.deadCycles} cycles (one per cycle, not one per block or retry)`);
  console.log(`  load average:          ${load()}`);
  await sim.stop();
}

async function profileRatios(): Promise<void> {
  console.log('\n## Requests per cycle of the shipped profiles (gap fill 16, all groups)');
  for (const name of SHIPPED_MODBUS_PROFILES) {
    const p = await readModbusProfile(name);
    const points = p.points.map(resolvePoint);
    const groups = new Set(points.map((x) => x.group));
    let requests = 0;
    for (const g of groups)
      requests += planBlocks(
        points.filter((x) => x.group === g),
        { maxRegisters: 125, maxBits: 2000, gapFill: 16 },
      ).length;
    console.log(
      `  ${name.padEnd(24)} ${String(points.length).padStart(4)} points  ${String(requests).padStart(2)} requests  ${fmt(requests / points.length, 3)} per point`,
    );
  }
}

/** Polls one device until `cycles` cycles after the first `warmup`, and returns requests per cycle and the learning cost. */
async function holeRun(device: ModbusDeviceConfig, warmup: number, cycles: number) {
  const ctx = new CountingContext();
  const driver = new ModbusDriver();
  await driver.start(ctx);
  await driver.addDevice(device);
  const waitCycles = async (n: number) => {
    while (driver.stats(device.id).cycles < n) await new Promise((r) => setTimeout(r, 20));
  };
  await waitCycles(warmup);
  const learned = driver.stats(device.id);
  await waitCycles(warmup + cycles);
  const end = driver.stats(device.id);
  const blocks = driver.plan(device.id).reduce((n, g) => n + g.blocks.length, 0);
  await driver.stop(AbortSignal.timeout(5000));
  return { perCycle: (end.requests - learned.requests) / (end.cycles - learned.cycles), firstCycles: learned.requests, blocks, bad: ctx.bad };
}

async function holes(): Promise<void> {
  console.log('\n## Register maps with holes: requests per cycle of the hole-aware planner (gap fill 16)');
  const peer = await startPymodbus('tcp');
  try {
    const points = [100, 101, 102, 104, 105, 106, 108].map((a) => ({ name: `r${a}`, table: 'holding-register', address: a }));
    const d = modbusDeviceSchema.parse({
      id: 'py',
      kind: 'modbus',
      driver: 'modbus',
      unitId: 7,
      connection: { transport: 'tcp', host: '127.0.0.1', port: peer.port },
      intervalMs: 50,
      points,
    });
    const r = await holeRun(d, 3, 40);
    console.log('  pymodbus 3.0 (Debian), holding 100..108 with holes at 103 and 107, 7 points, one coalesced block:');
    console.log(
      `    hole-aware:          ${fmt(r.perCycle, 2)} requests per poll-group cycle over 40 cycles (${r.blocks} blocks; the first 3 cycles, learning included: ${r.firstCycles} requests)`,
    );
    console.log(`    split point by point (before): 7 requests per poll-group cycle; without holes: 1`);
  } finally {
    await peer.stop();
  }
  const sim = await startSimulatorProcess(['power-meter-3p:1'], 1);
  try {
    const profile = await readModbusProfile('power-meter-3p');
    const ep = sim.endpoints[0]!;
    const base = modbusDeviceSchema.parse({
      id: 'pm3',
      kind: 'modbus',
      driver: 'modbus',
      unitId: ep.unit,
      connection: { transport: 'tcp', host: '127.0.0.1', port: ep.port },
      intervalMs: 50,
      points: profile.points,
    });
    const whole = await holeRun(base, 3, 40);
    // Reserved registers inside the filled gaps (44, 50, 58), as a firmware without them would have.
    for (const a of [44, 50, 58]) sim.child.stdin!.write(`fault ${ep.id} hole=input-register/${a}\n`);
    const holed = await holeRun({ ...base, id: 'pm3' }, 3, 40);
    console.log(`  simulator power-meter-3p, ${profile.points.length} points in ${whole.blocks} blocks:`);
    console.log(`    no holes:            ${fmt(whole.perCycle, 2)} requests per poll-group cycle`);
    console.log(
      `    holes at input 45, 51, 59 (in filled gaps): ${fmt(holed.perCycle, 2)} requests per poll-group cycle (${holed.blocks} blocks; first 3 cycles: ${holed.firstCycles} requests), bad readings ${holed.bad}`,
    );
  } finally {
    await sim.stop();
  }
}

async function main(): Promise<void> {
  console.log(`# gridgate modbus benchmark — node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, load average ${load()}`);
  if (process.argv.includes('holes')) {
    await holes();
    return;
  }
  await profileRatios();
  await fleet(1000, 20, '1 s fleet');
  await fleet(50, 15, 'ceiling');
  await rtuLine();
  await holes();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
