import { resolve } from 'node:path';
import pinoPretty from 'pino-pretty';
import { squareCameras, startDemoSite } from '../demo-site.js';
import { startPlatformBroker } from '../platform/platform-broker.js';
import { runNewYearEve } from '../scenarios/new-year-eve.js';
import { DEMO_CONFIG, PACKAGE_ROOT } from '../../gateway/config/paths.js';
import { runCommand } from '../../gateway/cli/run-command.js';

/** The demo's platform broker port (loopback), unless GRIDGATE_PLATFORM_URL names a real one. */
const DEMO_BROKER_PORT = 18830;
const SCENARIOS = ['new-year-eve'] as const;

/**
 * `npm start`: gridgate on config/demo.yaml with the simulators of simulators/demo-site.ts and an
 * embedded aedes broker standing in for the central platform. `--scenario new-year-eve` plays the
 * New Year's Eve crowd once the gateway runs.
 */
export async function demoCommand(options: { config?: string; scenario?: string }): Promise<number> {
  if (options.scenario && !SCENARIOS.includes(options.scenario as (typeof SCENARIOS)[number])) {
    console.error(`gridgate demo: unknown scenario "${options.scenario}" (known: ${SCENARIOS.join(', ')})`);
    return 2;
  }
  const stops: Array<() => Promise<void> | void> = [];
  if (!process.env.GRIDGATE_PLATFORM_URL) {
    const port = Number(process.env.GRIDGATE_DEMO_BROKER_PORT ?? DEMO_BROKER_PORT);
    const broker = await startPlatformBroker({ port });
    process.env.GRIDGATE_PLATFORM_URL = broker.url;
    stops.push(broker.stop);
  }
  process.env.GRIDGATE_DATA_DIR = resolve(process.env.GRIDGATE_DATA_DIR ?? resolve(PACKAGE_ROOT, 'data', 'demo'));
  const site = await startDemoSite({ host: '127.0.0.1' });
  stops.push(site.stop);

  const url = process.env.GRIDGATE_PLATFORM_URL;
  const code = await runCommand(options.config ?? DEMO_CONFIG, {
    logStream: consoleLogStream(),
    onStarted: (gateway) => {
      console.error(
        [
          '',
          `gridgate demo is running. Platform broker: ${url}`,
          `  watch what the platform receives:  npm run gridgate -- tail --url ${url}`,
          `  metrics and health:                http://127.0.0.1:${gateway.httpPort}/metrics  /readyz  (/api/status: after a UI login)`,
          `  the technicians' UI:               http://127.0.0.1:${gateway.httpPort}/ui/  (中文 / English; Cameras → live view${site.rtspPort ? `: video from rtsp://127.0.0.1:${site.rtspPort}` : ': no video, see above'})`,
          `  switch the site mode:              mosquitto_pub -h 127.0.0.1 -p ${new URL(url).port} -t gridgate/v1/zhengdong-cbd/gw-demo-01/cmd/set-mode -m '{"id":"demo-1","args":{"mode":"emergency","reason":"demo"}}'`,
          "  the New Year's Eve crowd:          npm start -- --scenario new-year-eve",
          '  stop: Ctrl-C',
          '',
        ].join('\n'),
      );
      if (options.scenario === 'new-year-eve') {
        const scenario = runNewYearEve({
          modbus: site.modbus,
          counters: [
            { device: 'pc-cbd-01', in: 'in', out: 'out' },
            { device: 'pc-gate-02', in: 'in-total', out: 'out-total' },
          ],
          zone: 'cbd-square',
          cameras: squareCameras(site.cameras),
          rampMs: Number(process.env.GRIDGATE_SCENARIO_RAMP_MS ?? 180_000),
          say: (line) => console.error(`[scenario] ${line}`),
        });
        stops.unshift(scenario.stop);
      }
    },
  });
  for (const stop of stops.reverse()) await stop();
  return code;
}

/**
 * On a terminal, readable log lines (pino-pretty, in process: its worker transport does not load
 * under tsx); piped or under systemd, the JSON lines as the daemon writes them.
 */
export function consoleLogStream(isTTY = Boolean(process.stdout.isTTY), destination: number | NodeJS.WritableStream = 1) {
  if (!isTTY || process.env.GRIDGATE_LOG_JSON === '1') return undefined;
  return pinoPretty({ colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', singleLine: true, sync: true, destination });
}
