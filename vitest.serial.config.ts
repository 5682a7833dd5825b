import { defineConfig } from 'vitest/config';

/** Tests that disturb shared services (stopping the broker's app): one file at a time, nothing beside them. */
export default defineConfig({
  test: {
    include: ['test/serial/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
