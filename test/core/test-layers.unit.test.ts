import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The `unit` project (vitest.config.ts, docs/architecture.md "Tests") is pure logic: no sockets,
 * no child processes, no brokers, no browser. A `*.unit.test.ts` that reaches for one of these
 * belongs in integration (drop the `.unit`) or system (`.system.test.ts`).
 */
const FORBIDDEN = [
  /from 'node:(net|tls|http|https|http2|dgram|child_process|worker_threads)'/,
  /from '(mqtt|aedes|ws|playwright-core|modbus-serial|serialport)'/,
  /from '[^']*simulators\/platform\//,
  /from '[^']*helpers\/(mosquitto|gateway-process|platform)\.js'/,
  /\bstartGateway\(|\.listen\(|\bspawn(Sync)?\(|\bexecFile(Sync)?\(|\bfetch\(/,
];

describe('the unit test layer', () => {
  it('uses no sockets, child processes, brokers or browsers', () => {
    const root = resolve(import.meta.dirname, '..');
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith('.unit.test.ts') && !f.endsWith('test-layers.unit.test.ts'),
    );
    expect(files.length).toBeGreaterThan(20);
    const offenders: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(root, f), 'utf8');
      for (const rule of FORBIDDEN) {
        const m = text.match(rule);
        if (m) offenders.push(`test/${f}: ${m[0]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
