import { defineConfig } from 'vitest/config';

/**
 * Three projects, a test pyramid (docs/architecture.md, "Tests"). A file's project follows from its name:
 * - `unit`: `*.unit.test.ts` — pure logic: no sockets, no network, no child processes, no root; fake clocks
 *   and fake connections. `npm run test:unit` runs these alone, in seconds, as any user.
 * - `system`: `*.system.test.ts` or anything under `test/faults/` — the gateway or a browser, ffmpeg,
 *   systemd-analyze as long-lived child processes, network namespaces (root), fault injection.
 * - `integration`: every other `*.test.ts` (the default for a new file) — real sockets on port 0, brokers
 *   (aedes, Mosquitto), gateways in the test's own process.
 * Folders stay per area (test/core, test/modbus, …); only the suffix says how heavy a test is.
 */
const UNIT = 'test/**/*.unit.test.ts';
const SYSTEM = ['test/**/*.system.test.ts', 'test/faults/**/*.test.ts'];
/** The booted-systemd test (a Debian container, the .deb) runs alone with its own config: npm run test:systemd. */
const BOOTED = 'test/systemd/**';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real sockets and child processes: two workers match the 2-core edge box and CI.
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      // Pure tests share one module graph per worker (isolate: false): most of their time is importing zod schemas and drivers.
      { extends: true, test: { name: 'unit', include: [UNIT], isolate: false } },
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts'], exclude: [UNIT, ...SYSTEM, BOOTED], maxWorkers: 2 } },
      { extends: true, test: { name: 'system', include: SYSTEM, maxWorkers: 2 } },
    ],
  },
});
