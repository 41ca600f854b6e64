/**
 * MQTT driver benchmark: `npx tsx bench/mqtt.ts` (under a minute).
 *
 * Sensor messages per second from MQTT (TCP, QoS 0, loopback) through the embedded broker
 * (aedes: parse, login, ACL check) and the driver (payload mapping, counters) into
 * ctx.samples, on the gateway's one core. The publishers run in a child process (this file
 * with --publisher) writing pre-encoded MQTT packets as fast as the sockets take them, so
 * only the gateway's side is measured: the figure is the gateway's ceiling, and its CPU use
 * (% of one core) is printed beside it, and messages per CPU-second of the gateway process
 * (what one core sustains, less sensitive to other work on the machine). Goal: >= 50k small
 * JSON messages/s.
 *
 * The machine is shared (2 cores, other work running): the load average is printed.
 */
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MqttDriver } from '../drivers/mqtt/mqtt-driver.js';
import { readMqttProfile } from '../drivers/mqtt/profile-file.js';
import { mqttDeviceSchema } from '../drivers/mqtt/schema.js';
import { systemClock } from '../gateway/core/clock.js';
import { silentLogger } from '../gateway/core/logger.js';
import type { Mode } from '../gateway/core/model.js';
import type { DriverContext, RawSample } from '../gateway/devices/driver.js';

const SENSORS = 20;
const PASSWORD = 'bench-password';

interface Scenario {
  name: string;
  profile: string;
  topic: (id: string) => string;
  /** The i-th payload of a sensor (a different time each, as real sensors send). */
  payload: string;
}

// Device times three days back: inside the driver's trusted window (deviceTime.maxAgeMs 7 days) whenever the bench runs.
const T0 = Date.now() - 3 * 86_400_000;
const SCENARIOS: Scenario[] = [
  { name: 'env sensor, flat JSON, 6 points (~120 B)', profile: 'mqtt-env-json', topic: (id) => `sensors/${id}/data`, payload: 'env' },
  {
    name: 'people counter, Xovis-like live counts, 2 counters + 2 deltas (~200 B)',
    profile: 'mqtt-xovis-live',
    topic: (id) => `xovis/${id}/live`,
    payload: 'xovis',
  },
];

function payloadOf(kind: string, i: number): string {
  if (kind === 'env') {
    return `{"ts":${T0 + i},"temperature":${(20 + (i % 50) / 10).toFixed(1)},"humidity":45.2,"pm25":${i % 90},"pm10":20.1,"noise":55.1,"battery":3.61}`;
  }
  const fw = 1000 + Math.floor(i / 3);
  return `{"sensor":{"serial":"x"},"time":"${new Date(T0 + i * 10).toISOString()}","live_counts":[{"line_id":0,"counts":[{"name":"fw","value":${fw}},{"name":"bw","value":${fw - 20}}]}]}`;
}

// ---- publisher side (child process) -------------------------------------------------------

function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}
const str = (s: string | Buffer) => {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
};
/** MQTT 3.1.1 section 3.1: CONNECT with clean session, username and password. */
function connectPacket(clientId: string, username: string, password: string): Buffer {
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, 0xc2, 0, 60]), str(clientId), str(username), str(password)]);
  return Buffer.concat([Buffer.from([0x10, ...varint(body.length)]), body]);
}
/** MQTT 3.1.1 section 3.3: PUBLISH, QoS 0. */
function publishPacket(topic: string, payload: string): Buffer {
  const body = Buffer.concat([str(topic), Buffer.from(payload)]);
  return Buffer.concat([Buffer.from([0x30, ...varint(body.length)]), body]);
}

async function publisher(): Promise<void> {
  const { port, ids, perSensor, kind, topicKind } = JSON.parse(process.argv[3]!) as {
    port: number;
    ids: string[];
    perSensor: number;
    kind: string;
    topicKind: string;
  };
  const scenario = SCENARIOS.find((s) => s.payload === topicKind)!;
  const sockets: Socket[] = [];
  for (const id of ids) {
    const s = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.once('connect', () => s.write(connectPacket(`bench-${id}`, id, PASSWORD)));
      let got = Buffer.alloc(0);
      const onData = (d: Buffer) => {
        got = Buffer.concat([got, d]);
        if (got.length < 4) return;
        s.off('data', onData);
        if (got[0] === 0x20 && got[3] === 0) resolve();
        else reject(new Error(`CONNACK ${got.toString('hex')}`));
      };
      s.on('data', onData);
    });
    sockets.push(s);
  }
  process.send!({ ready: true });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const t0 = performance.now();
  await Promise.all(
    sockets.map(async (s, k) => {
      const topic = scenario.topic(ids[k]!);
      for (let i = 0; i < perSensor; i += 500) {
        const chunk: Buffer[] = [];
        for (let j = i; j < Math.min(perSensor, i + 500); j++) chunk.push(publishPacket(topic, payloadOf(kind, j)));
        if (!s.write(Buffer.concat(chunk))) await new Promise((r) => s.once('drain', r));
      }
    }),
  );
  process.send!({ sentMs: performance.now() - t0 });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  for (const s of sockets) s.destroy();
}

// ---- gateway side (this process) ----------------------------------------------------------

class CountingContext implements DriverContext {
  readonly log = silentLogger();
  readonly clock = systemClock;
  messages = 0;
  samplesSeen = 0;
  bad = 0;
  onMessage: (() => void) | undefined;
  samples(batch: RawSample[]): void {
    this.messages++;
    this.samplesSeen += batch.length;
    for (const s of batch) if (s.quality === 'bad') this.bad++;
    this.onMessage?.();
  }
  event(): void {}
  status(): void {}
  mode(): Mode {
    return 'normal';
  }
  onModeChange(): () => void {
    return () => {};
  }
}

async function run(scenario: Scenario, perSensor: number): Promise<void> {
  const ctx = new CountingContext();
  const driver = new MqttDriver({ readSecret: () => PASSWORD });
  await driver.start(ctx);
  const profile = await readMqttProfile(scenario.profile);
  const ids = Array.from({ length: SENSORS }, (_, i) => `s-${String(i).padStart(3, '0')}`);
  for (const id of ids) {
    await driver.addDevice(
      mqttDeviceSchema.parse({
        id,
        kind: 'mqtt',
        driver: 'mqtt',
        profile: profile.name,
        connection: { mode: 'embedded', host: '127.0.0.1', port: 0 },
        auth: { password: { env: 'X' } },
        points: profile.points,
      }),
    );
  }
  const { port } = await driver.brokerAddress(ids[0]!);
  const total = SENSORS * perSensor;
  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      '--publisher',
      JSON.stringify({ port, ids, perSensor, kind: scenario.payload, topicKind: scenario.payload }),
    ],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  await new Promise<void>((resolve) => child.once('message', () => resolve()));
  const done = new Promise<void>((resolve) => {
    ctx.onMessage = () => {
      if (ctx.messages === total) resolve();
    };
  });
  const sent = new Promise<{ sentMs: number }>((resolve) => child.once('message', (m) => resolve(m as { sentMs: number })));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  child.send('go');
  await done;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const { sentMs } = await sent;
  child.send('stop');
  await new Promise((r) => child.once('exit', r));
  await driver.stop(AbortSignal.timeout(5000));
  const cpuPct = ((cpu.user + cpu.system) / 1000 / ms) * 100;
  console.log(`\n${scenario.name}`);
  console.log(`  ${total.toLocaleString('en')} messages from ${SENSORS} sensors (${perSensor.toLocaleString('en')} each), QoS 0, 1 connection per sensor`);
  console.log(
    `  into ctx.samples: ${Math.round(total / (ms / 1000)).toLocaleString('en')} messages/s, ${Math.round(ctx.samplesSeen / (ms / 1000)).toLocaleString('en')} samples/s (${ms.toFixed(0)} ms)`,
  );
  console.log(`  gateway process CPU: ${cpuPct.toFixed(0)}% of one core; publishers finished writing after ${sentMs.toFixed(0)} ms`);
  // Per CPU-second of this process: the rate one core would sustain, less sensitive to a busy machine.
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(`  per CPU-second of the gateway process: ${Math.round(total / cpuSeconds).toLocaleString('en')} messages`);
  console.log(`  samples ${ctx.samplesSeen.toLocaleString('en')} (${ctx.bad} bad)`);
}

async function main(): Promise<void> {
  const [l1, l5] = loadavg();
  console.log('MQTT driver benchmark: sensors -> embedded broker (aedes) -> MqttDriver -> ctx.samples');
  console.log(
    `  node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, load average ${l1!.toFixed(2)} / ${l5!.toFixed(2)} (1 / 5 min, machine shared)`,
  );
  console.log('  publishers in a child process; the gateway side (this process) is single-threaded');
  // Warm-up: JIT and the broker's first allocations are not part of the figure.
  await run(SCENARIOS[0]!, 2_000).catch((err: unknown) => console.error('warm-up failed', err));
  console.log('  (above: warm-up)');
  for (const s of SCENARIOS) await run(s, 15_000);
  const [a1] = loadavg();
  console.log(`\nload average after: ${a1!.toFixed(2)}`);
}

if (process.argv[2] === '--publisher') await publisher();
else await main();
