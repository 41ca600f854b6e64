/**
 * The Modbus simulator from the command line.
 *
 *   npx tsx simulators/modbus/cli.ts [--host 127.0.0.1] [--port 1502] [--fault id:kind[=value]]... model[:count[:unitId]]...
 *
 * Each `model[:count[:unitId]]` adds `count` devices of a model (env-sensor, power-meter,
 * people-counter, water-level, power-meter-3p, rs485-people-counter). Without --port every
 * device gets its own free port; with --port all devices share that port with unit ids 1, 2, ...
 * --rtu-over-tcp frames RTU on TCP (a serial server); --pty PATH serves RTU on a serial device.
 * Faults: no-answer, slow=MS, exception=CODE, garbled, short, drop, hole=TABLE/ADDRESS.
 * While running, type `fault <id> <kind>[=value]` or `clear <id>` on stdin.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { Table } from '../../drivers/modbus/address.js';
import { DEVICE_MODELS, type ModelName } from './device-models.js';
import type { Faults } from './faults.js';
import { type SimDeviceSpec, startModbusSimulator } from './simulator.js';

/** `slow=500` → { delayMs: 500 }; throws a readable message for anything else. */
export function parseFault(text: string, into: Faults = {}): Faults {
  const [kind, value] = text.split('=');
  const n = Number(value);
  switch (kind) {
    case 'no-answer':
      return { ...into, noAnswer: true };
    case 'slow':
      if (!Number.isInteger(n) || n < 0) throw new Error(`slow needs milliseconds: slow=500`);
      return { ...into, delayMs: n };
    case 'exception':
      if (!Number.isInteger(n) || n < 1 || n > 255) throw new Error(`exception needs a code 1..255: exception=4`);
      return { ...into, exception: n };
    case 'garbled':
      return { ...into, garbled: true };
    case 'short':
      return { ...into, short: true };
    case 'drop':
      return { ...into, drop: true };
    case 'hole': {
      const [table, address] = (value ?? '').split('/');
      if (!['coil', 'discrete-input', 'input-register', 'holding-register'].includes(table ?? '') || !Number.isInteger(Number(address))) {
        throw new Error('hole needs TABLE/ADDRESS (0-based): hole=holding-register/6');
      }
      return { ...into, holes: [...(into.holes ?? []), { table: table as Table, address: Number(address) }] };
    }
    default:
      throw new Error(`unknown fault "${kind}" (no-answer, slow=MS, exception=CODE, garbled, short, drop, hole=TABLE/ADDRESS)`);
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string' },
      'rtu-over-tcp': { type: 'boolean', default: false },
      pty: { type: 'string' },
      fault: { type: 'string', multiple: true, default: [] },
    },
  });
  if (positionals.length === 0) {
    console.error(
      `usage: cli.ts [--host H] [--port P] [--rtu-over-tcp] [--pty PATH] [--fault id:kind[=v]] model[:count[:unitId]]...\nmodels: ${Object.keys(DEVICE_MODELS).join(', ')}`,
    );
    process.exit(2);
  }
  const shared = values.port !== undefined || values.pty !== undefined;
  const devices: SimDeviceSpec[] = [];
  let unit = 1;
  for (const arg of positionals) {
    const [model, count = '1', firstUnit] = arg.split(':');
    if (!(model! in DEVICE_MODELS)) throw new Error(`unknown model "${model}" (${Object.keys(DEVICE_MODELS).join(', ')})`);
    if (firstUnit) unit = Number(firstUnit);
    for (let i = 0; i < Number(count); i++) {
      devices.push({
        id: `${model}-${devices.length + 1}`,
        model: model as ModelName,
        unitId: shared ? unit++ : 1,
        server: shared ? 'shared' : undefined,
        port: values.port ? Number(values.port) : 0,
        transport: values.pty ? 'rtu' : values['rtu-over-tcp'] ? 'rtu-over-tcp' : 'tcp',
        path: values.pty,
      });
    }
  }
  for (const f of values.fault) {
    const [id, kind] = [f.slice(0, f.indexOf(':')), f.slice(f.indexOf(':') + 1)];
    const d = devices.find((x) => x.id === id);
    if (!d) throw new Error(`--fault ${f}: no device "${id}" (ids: ${devices.map((x) => x.id).join(', ')})`);
    d.faults = parseFault(kind, d.faults);
  }
  const sim = await startModbusSimulator({ host: values.host, devices });
  for (const d of devices) console.log(`${d.id}\tunit ${d.unitId}\t${d.path ?? `${values.host}:${sim.ports[d.id]}`}\t${d.transport}`);
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const [cmd, id, kind] = line.trim().split(/\s+/);
    try {
      if (cmd === 'fault' && id && kind) sim.device(id).setFaults(parseFault(kind, sim.device(id).faults));
      else if (cmd === 'clear' && id) sim.device(id).clearFaults();
      else if (cmd) throw new Error('commands: fault <id> <kind>[=value] | clear <id>');
      if (cmd) console.log('ok');
    } catch (err) {
      console.error((err as Error).message);
    }
  });
  const stop = async () => {
    rl.close();
    await sim.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
