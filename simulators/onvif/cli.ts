/**
 * The ONVIF camera-set simulator from the command line.
 *
 *   npx tsx simulators/onvif/cli.ts start [--cameras 89] [--nvr-channels 0] [--host 127.0.0.1]
 *        [--base-port 0] [--control-port 8089] [--discovery-port 0|3702] [--user admin]
 *        [--password-env GRIDGATE_SIM_CAMERA_PASSWORD] [--soap-auth any|ws-security|http-digest]
 *        [--scenario crowd,illegal-parking-wave,...]
 *   npx tsx simulators/onvif/cli.ts emit     --control URL --device cam-001 --kind fireworks [--channel 1] [--on false]
 *   npx tsx simulators/onvif/cli.ts fault    --control URL --device cam-001|'*' --set offline=true [--set slowMs=3000]
 *   npx tsx simulators/onvif/cli.ts kill     --control URL --device cam-001
 *   npx tsx simulators/onvif/cli.ts scenario --control URL --name fireworks-midnight [--set now=true] [--stop]
 *   npx tsx simulators/onvif/cli.ts devices  --control URL
 *
 * The password comes from an environment variable (default admin/admin when unset), never argv.
 */
import { parseArgs } from 'node:util';
import { startCameraSet } from './camera-set.js';
import { SCENARIOS, type ScenarioName } from './scenarios.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    cameras: { type: 'string', default: '89' },
    'nvr-channels': { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'base-port': { type: 'string', default: '0' },
    'control-port': { type: 'string', default: '8089' },
    'discovery-port': { type: 'string' },
    user: { type: 'string', default: 'admin' },
    'password-env': { type: 'string', default: 'GRIDGATE_SIM_CAMERA_PASSWORD' },
    'soap-auth': { type: 'string', default: 'any' },
    scenario: { type: 'string' },
    control: { type: 'string', default: 'http://127.0.0.1:8089' },
    device: { type: 'string' },
    kind: { type: 'string' },
    channel: { type: 'string' },
    on: { type: 'string' },
    name: { type: 'string' },
    set: { type: 'string', multiple: true },
    stop: { type: 'boolean', default: false },
  },
});

/** `key=value` pairs with numbers and booleans typed. */
function pairs(list: string[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of list ?? []) {
    const i = p.indexOf('=');
    const v = p.slice(i + 1);
    out[p.slice(0, i)] = v === 'true' ? true : v === 'false' ? false : v !== '' && !Number.isNaN(Number(v)) ? Number(v) : v;
  }
  return out;
}

async function call(method: string, path: string, body?: unknown): Promise<void> {
  const res = await fetch(`${values.control}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  console.log(JSON.stringify(await res.json(), null, 2));
  if (!res.ok) process.exitCode = 1;
}

const cmd = positionals[0] ?? 'start';
const device = encodeURIComponent(values.device ?? '*');
switch (cmd) {
  case 'start': {
    const set = await startCameraSet({
      host: values.host,
      cameras: Number(values.cameras),
      nvrChannels: Number(values['nvr-channels']),
      basePort: Number(values['base-port']),
      credentials: { username: values.user!, password: process.env[values['password-env']!] ?? 'admin' },
      soapAuth: values['soap-auth'] as 'any',
      discovery: values['discovery-port'] === undefined ? false : { port: Number(values['discovery-port']), multicastInterface: values.host },
      controlPort: Number(values['control-port']),
    });
    for (const name of (values.scenario ?? '').split(',').filter(Boolean)) {
      if (!SCENARIOS.includes(name as ScenarioName)) throw new Error(`unknown scenario ${name}; one of ${SCENARIOS.join(', ')}`);
      set.scenario(name as ScenarioName);
    }
    console.log(JSON.stringify({ devices: set.devices.length, first: set.devices[0]?.url, discoveryPort: set.discoveryPort, control: set.controlUrl }));
    const shutdown = () => void set.stop().then(() => process.exit(0));
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
    break;
  }
  case 'emit':
    await call('POST', `/devices/${device}/events`, {
      kind: values.kind,
      ...(values.channel ? { channel: Number(values.channel) } : {}),
      ...(values.on ? { on: values.on === 'true' } : {}),
      ...pairs(values.set),
    });
    break;
  case 'fault':
    await call('POST', `/devices/${device}/faults`, pairs(values.set));
    break;
  case 'kill':
    await call('POST', `/devices/${device}/kill-subscriptions`);
    break;
  case 'scenario':
    await call(values.stop ? 'DELETE' : 'POST', `/scenarios/${encodeURIComponent(values.name ?? '')}`, pairs(values.set));
    break;
  case 'devices':
    await call('GET', '/devices');
    break;
  default:
    console.error(`unknown command ${cmd}; use start, emit, fault, kill, scenario or devices`);
    process.exitCode = 2;
}
