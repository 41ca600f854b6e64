/**
 * mqtt-packet 9.0.2 caches the encoding of every packet length below 16,384 as a slice of Node's
 * 8 KiB Buffer pool, so each new length pinned a whole slab: the soaks' V8 external memory grew
 * linearly (+10–13 MB/h, docs/operations.md). gateway/core/mqtt-length-cache.ts fills that cache
 * once, densely, before any connection writes. Measured in a child process (a fresh mqtt-packet):
 * the memory left behind by sends of 600 new sizes through a real mqtt.js client and aedes broker.
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function run(mode: 'fill' | 'nofill'): { retained: number } {
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(ROOT, 'test/core/fixtures/mqtt-length-pins.ts'), mode], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

describe('mqtt-packet length cache', () => {
  it('keeps no pool slab alive per new packet length once filled', () => {
    // 600 new lengths: without the fill about 2.4 MiB stay (one 8 KiB slab per one or two lengths); with it, nothing new.
    const { retained } = run('fill');
    expect(retained).toBeLessThan(256 * 1024);
  });

  it('would pin a slab per new length without the fill (the bug the fill works around)', () => {
    // If this fails after an mqtt-packet upgrade, upstream fixed mqttjs/mqtt-packet#163:
    // gateway/core/mqtt-length-cache.ts can go.
    const { retained } = run('nofill');
    expect(retained).toBeGreaterThan(1024 * 1024);
  });
});
