#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { demoCommand } from './demo-command.js';

/**
 * `npm start`: the demo launcher, the one program that starts simulators beside a gateway
 * (docs/architecture.md, rule `no-test-code-in-production`). It lives outside gateway/, so the
 * production CLI and the .deb carry no simulator.
 *
 *   npm start [-- --config FILE] [-- --scenario new-year-eve]
 */
const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    config: { type: 'string', short: 'c' },
    scenario: { type: 'string' },
  },
});

demoCommand({ config: values.config, scenario: values.scenario }).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`gridgate demo: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
