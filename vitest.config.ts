import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The booted-systemd test runs alone, with its own config: npm run test:systemd (~5-8 min cold).
    exclude: ['test/systemd/**', '**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real sockets and child processes: two workers match the 2-core edge box and CI.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
