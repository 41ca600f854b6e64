/**
 * Simulated MQTT sensors and people counters from the command line.
 *
 *   npx tsx simulators/mqtt/cli.ts --url mqtt://127.0.0.1:1883 [--password-env VAR] [--rate 1] [--qos 0|1]
 *        [--crowd 1] id:shape[:topicId]...
 *   npx tsx simulators/mqtt/cli.ts --demo --url mqtt://127.0.0.1:1883   (the demo's seven sensors)
 *
 * Shapes: env-json, env-array, xovis-live, xovis-logic, axis-counter, axis-occupancy, irisys.
 * Each sensor logs in with its id as username and the password from --password-env (default
 * GRIDGATE_DEMO_MQTT_PASSWORD). While running, type on stdin:
 *   fault <id> not-json | wrong-type | missing-field | oversized[=bytes] | wrong-topic[=topic] |
 *               subscribe[=filter] | burst=<count> | duplicate | reset | duplicate-key[=value] |
 *               future-time | jump[=value]
 *   rate <perSecond> [id]     crowd <factor> [id]     counts <id>     quit
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { SensorFault } from './faults.js';
import { startMqttSensors } from './mqtt-sensors.js';
import { SENSOR_SHAPES, type SensorShape } from './payload-shapes.js';
import type { SensorSpec } from './simulated-sensor.js';
import { DEMO_PASSWORD_ENV } from './demo.js';

/** `burst=50` → { kind: 'burst', count: 50 }; throws a readable message for anything else. */
export function parseSensorFault(text: string): SensorFault {
  const [kind, value] = text.split('=');
  switch (kind) {
    case 'not-json':
    case 'missing-field':
    case 'duplicate':
    case 'reset':
    case 'future-time':
      return { kind };
    case 'duplicate-key':
    case 'jump': {
      if (value === undefined) return { kind };
      const n = Number(value);
      if (!Number.isFinite(n)) throw new Error(`${kind} takes a number: ${kind}=99999999`);
      return { kind, value: n };
    }
    case 'wrong-type':
      return { kind, value: value ?? 'n/a' };
    case 'oversized':
      return { kind, bytes: value ? Number(value) : 100_000 };
    case 'wrong-topic':
      return value ? { kind, topic: value } : { kind };
    case 'subscribe':
      return { kind, filter: value ?? '#' };
    case 'burst': {
      const count = Number(value);
      if (!Number.isInteger(count) || count < 1) throw new Error('burst needs a count: burst=100');
      return { kind, count };
    }
    default:
      throw new Error(
        `unknown fault "${kind}" (not-json, wrong-type, missing-field, oversized, wrong-topic, subscribe, burst=N, duplicate, reset, duplicate-key[=N], future-time, jump[=N])`,
      );
  }
}

/** `pc-01:xovis-live:80-1F-12` → a sensor spec. */
export function parseSensorArg(text: string, password: string | undefined): SensorSpec {
  const [id, shape, topicId] = text.split(':');
  if (!id || !shape || !(SENSOR_SHAPES as readonly string[]).includes(shape)) {
    throw new Error(`"${text}": expected id:shape[:topicId] with a shape of ${SENSOR_SHAPES.join(', ')}`);
  }
  return { id, shape: shape as SensorShape, password, ...(topicId ? { topicId } : {}) };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string', default: 'mqtt://127.0.0.1:1883' },
      'password-env': { type: 'string', default: DEMO_PASSWORD_ENV },
      rate: { type: 'string', default: '1' },
      qos: { type: 'string', default: '1' },
      crowd: { type: 'string', default: '1' },
      demo: { type: 'boolean', default: false },
    },
  });
  const password = process.env[values['password-env']];
  let specs = positionals.map((p) => parseSensorArg(p, password));
  if (values.demo) {
    const { startMqttDemo } = await import('./demo.js');
    const url = new URL(values.url);
    const demo = await startMqttDemo({ host: url.hostname, port: Number(url.port) });
    console.error(`demo sensors publishing to ${values.url} (password in ${DEMO_PASSWORD_ENV}); device config:\n${JSON.stringify(demo.devices, null, 2)}`);
    await demo.sensors.waitConnected(60_000).catch((err: Error) => console.error(err.message));
    return interact(demo.sensors, () => demo.stop());
  }
  if (specs.length === 0) specs = [parseSensorArg('env-sim-01:env-json', password)];
  const sensors = startMqttSensors({ url: values.url, sensors: specs, qos: values.qos === '0' ? 0 : 1 });
  sensors.setRate(Number(values.rate));
  sensors.setCrowd(Number(values.crowd));
  console.error(`${specs.length} sensor(s) publishing to ${values.url}: ${specs.map((s) => `${s.id} (${s.shape})`).join(', ')}`);
  await interact(sensors, () => sensors.stop());
}

async function interact(sensors: ReturnType<typeof startMqttSensors>, stop: () => Promise<void>): Promise<void> {
  const rl = createInterface({ input: process.stdin });
  const quit = async () => {
    rl.close();
    await stop();
    process.exit(0);
  };
  process.once('SIGINT', quit);
  process.once('SIGTERM', quit);
  for await (const line of rl) {
    const [cmd, a, b] = line.trim().split(/\s+/);
    try {
      if (cmd === 'fault' && a && b) await sensors.inject(a, parseSensorFault(b));
      else if (cmd === 'rate' && a) sensors.setRate(Number(a), b);
      else if (cmd === 'crowd' && a) sensors.setCrowd(Number(a), b);
      else if (cmd === 'counts' && a) console.error(JSON.stringify(sensors.counts(a)));
      else if (cmd === 'quit') return quit();
      else if (cmd) console.error('commands: fault <id> <kind>[=value] | rate <perSecond> [id] | crowd <factor> [id] | counts <id> | quit');
    } catch (err) {
      console.error((err as Error).message);
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
