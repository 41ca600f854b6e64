import { startPlatformBroker } from '../../simulators/platform/platform-broker.js';
import { resolve } from 'node:path';
import { DEMO_CONFIG, PACKAGE_ROOT } from '../config/paths.js';
import { runCommand } from './run-command.js';

/** The demo's platform broker port (loopback), unless GRIDGATE_PLATFORM_URL names a real one. */
const DEMO_BROKER_PORT = 18830;

/**
 * `npm start`: gridgate on config/demo.yaml with its simulators, and an embedded aedes broker
 * standing in for the central platform.
 */
export async function demoCommand(options: { config?: string }): Promise<number> {
  let stopBroker: (() => Promise<void>) | undefined;
  if (!process.env.GRIDGATE_PLATFORM_URL) {
    const port = Number(process.env.GRIDGATE_DEMO_BROKER_PORT ?? DEMO_BROKER_PORT);
    const broker = await startPlatformBroker({ port });
    process.env.GRIDGATE_PLATFORM_URL = broker.url;
    stopBroker = broker.stop;
  }
  process.env.GRIDGATE_DATA_DIR ??= resolve(PACKAGE_ROOT, 'data', 'demo');
  const url = process.env.GRIDGATE_PLATFORM_URL;
  const code = await runCommand(options.config ?? DEMO_CONFIG, {
    onStarted: (gateway) => {
      console.error(
        [
          '',
          `gridgate demo is running. Platform broker: ${url}`,
          `  watch what the platform receives:  npm run gridgate -- tail --url ${url}`,
          `  metrics and health:                http://127.0.0.1:${gateway.httpPort}/metrics  /readyz  /api/status`,
          `  switch the site mode:              mosquitto_pub -h 127.0.0.1 -p ${new URL(url).port} -t gridgate/v1/zhengdong-cbd/gw-demo-01/cmd/set-mode -m '{"id":"demo-1","args":{"mode":"emergency","reason":"demo"}}'`,
          '  stop: Ctrl-C',
          '',
        ].join('\n'),
      );
    },
  });
  await stopBroker?.();
  return code;
}
