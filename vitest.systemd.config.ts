import { defineConfig } from 'vitest/config';

// `npm run test:systemd`: the booted-systemd test (test/systemd/). It boots a Debian 12 container,
// builds the .deb and runs the service for real: minutes, not seconds, and one at a time.
export default defineConfig({
  test: {
    include: ['test/systemd/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 1_500_000,
    maxWorkers: 1,
    reporters: ['default'],
  },
});
