import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real sockets and child processes: two workers match the 2-core edge box and CI.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
