import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { startModbusDemo } from '../../simulators/modbus/demo.js';
import { startPlatformBroker } from '../../simulators/platform/platform-broker.js';
import { DEMO_CONFIG, PACKAGE_ROOT } from '../config/paths.js';
import { runCommand } from './run-command.js';

/** The demo's platform broker port (loopback), unless GRIDGATE_PLATFORM_URL names a real one. */
const DEMO_BROKER_PORT = 18830;

/**
 * `npm start`: gridgate on config/demo.yaml plus the simulators' devices, with an embedded aedes
 * broker standing in for the central platform. The simulators listen on ports the system picks,
 * so the effective configuration is written next to the demo data (`demo.generated.yaml`) and
 * run from there: what runs is a file a technician can read.
 */
export async function demoCommand(options: { config?: string }): Promise<number> {
  const stops: Array<() => Promise<void>> = [];
  if (!process.env.GRIDGATE_PLATFORM_URL) {
    const port = Number(process.env.GRIDGATE_DEMO_BROKER_PORT ?? DEMO_BROKER_PORT);
    const broker = await startPlatformBroker({ port });
    process.env.GRIDGATE_PLATFORM_URL = broker.url;
    stops.push(broker.stop);
  }
  const dataDir = resolve(process.env.GRIDGATE_DATA_DIR ?? resolve(PACKAGE_ROOT, 'data', 'demo'));
  process.env.GRIDGATE_DATA_DIR = dataDir;
  mkdirSync(dataDir, { recursive: true });

  const modbus = await startModbusDemo({ host: '127.0.0.1' });
  stops.push(modbus.stop);
  const doc = parse(readFileSync(options.config ?? DEMO_CONFIG, 'utf8')) as { devices?: unknown[] };
  doc.devices = [...(doc.devices ?? []), ...modbus.devices];
  const generated = resolve(dataDir, 'demo.generated.yaml');
  writeFileSync(generated, `# Written by \`gridgate demo\`: ${options.config ?? DEMO_CONFIG} plus the simulators' devices.\n${stringify(doc)}`);

  const url = process.env.GRIDGATE_PLATFORM_URL;
  const code = await runCommand(generated, {
    onStarted: (gateway) => {
      console.error(
        [
          '',
          `gridgate demo is running. Platform broker: ${url}`,
          `  configuration in use:              ${generated}`,
          `  watch what the platform receives:  npm run gridgate -- tail --url ${url}`,
          `  metrics and health:                http://127.0.0.1:${gateway.httpPort}/metrics  /readyz  /api/status`,
          `  switch the site mode:              mosquitto_pub -h 127.0.0.1 -p ${new URL(url).port} -t gridgate/v1/zhengdong-cbd/gw-demo-01/cmd/set-mode -m '{"id":"demo-1","args":{"mode":"emergency","reason":"demo"}}'`,
          '  stop: Ctrl-C',
          '',
        ].join('\n'),
      );
    },
  });
  for (const stop of stops.reverse()) await stop();
  return code;
}
