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
  },
});
