import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Outage tests stop a private RabbitMQ node of their own (test/helpers/rabbit.ts), never the
    // shared broker, so every file can run beside the others.
    exclude: ['node_modules/**'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // Two files at a time (vitest's default is one less than the cores: one here). Most files wait on
    // sockets, timers and child processes rather than compute: two at once take the suite from about
    // 15 to about 9 minutes on a 2-core machine, and every test waits by condition, not by time.
    maxWorkers: 2,
  },
});
