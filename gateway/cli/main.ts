#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { checkConfigCommand } from './check-config-command.js';
import { passwdCommand } from './passwd-command.js';
import { runCommand } from './run-command.js';
import { fleetCommand } from './fleet-summary.js';
import { tailCommand } from './tail-command.js';

const USAGE = `usage: gridgate <command> [options]

commands:
  run --config FILE        run the gateway (SIGHUP reloads the file; SIGTERM stops)
  check-config FILE        validate a configuration; lists every problem, exit 1 if any
  passwd USER [--config FILE | --state-dir DIR] [--role viewer|technician|admin]
                           set a web UI password (read from stdin, or asked twice on a terminal)
  tail [--url URL] [--prefix P] [--site S] [--gateway G] [--json]
                           print the contract messages a platform broker receives
  tail --fleet [--url URL] [--prefix P] [--site S]
                           one line per gateway: online, mode, devices, backlog
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      url: { type: 'string' },
      prefix: { type: 'string' },
      site: { type: 'string' },
      gateway: { type: 'string' },
      json: { type: 'boolean' },
      fleet: { type: 'boolean' },
      scenario: { type: 'string' },
      'state-dir': { type: 'string' },
      role: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !command) {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  switch (command) {
    case 'run':
      if (!values.config && !positionals[0]) {
        console.error('gridgate run: --config FILE is required');
        return 2;
      }
      return runCommand((values.config ?? positionals[0])!);
    case 'demo':
      // The demo starts simulators: it runs from a checkout (simulators/demo/main.ts), not from this program.
      console.error('gridgate demo: the demo runs from a development checkout: npm start [-- --scenario new-year-eve]');
      return 2;
    case 'check-config':
      return checkConfigCommand(positionals[0] ?? values.config);
    case 'passwd':
      return passwdCommand(positionals[0], { config: values.config, stateDir: values['state-dir'], role: values.role });
    case 'tail':
      if (values.fleet)
        return fleetCommand({
          url: values.url ?? process.env.GRIDGATE_PLATFORM_URL ?? 'mqtt://127.0.0.1:18830',
          prefix: values.prefix ?? 'gridgate/v1',
          site: values.site,
        });
      return tailCommand({
        url: values.url ?? process.env.GRIDGATE_PLATFORM_URL ?? 'mqtt://127.0.0.1:18830',
        prefix: values.prefix ?? 'gridgate/v1',
        site: values.site,
        gateway: values.gateway,
        json: values.json ?? false,
      });
    default:
      console.error(`gridgate: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`gridgate: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
