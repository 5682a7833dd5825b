import { defineConfig } from 'vitest/config';

// Three tiers, each runnable alone (`npm run test:unit`, `test:integration`, `test:browser`); `npm test`
// runs all three. Unit tests start no CSMS, no child process and no browser and need no RabbitMQ
// (SQLite and a bare OCPP socket on port 0 are fine): they run in seconds. A file listed nowhere is an integration test.

/** Pure code, the store on SQLite, OCPP connections to a server in the same process. */
const unit = [
  'test/ocpp/**/*.test.ts',
  'test/csms/domain/**/*.test.ts',
  'test/csms/processor/**/*.test.ts',
  'test/csms/store/**/*.test.ts',
  'test/csms/payments/**/*.test.ts',
  'test/csms/broker/memory.test.ts',
  'test/csms/config.test.ts',
  'test/csms/api/errors-docs.test.ts',
  'test/csms/notifier/rooms.test.ts',
  'test/simulator/report/**/*.test.ts',
  'test/simulator/{scenario,scheduler,thresholds,generator-health}.test.ts',
  'test/cli/views/dashboard.test.ts',
  'test/lint/**/*.test.ts',
  'test/references.test.ts',
  'test/deploy/**/*.test.ts',
];

/** Files that drive Chromium (test/helpers/browser.ts). */
const browser = [
  'test/csms/web/charging-profiles.test.ts',
  'test/csms/web/close-session.test.ts',
  'test/csms/web/firmware.test.ts',
  'test/csms/web/local-list.test.ts',
  'test/csms/web/modules.test.ts',
  'test/csms/web/money.test.ts',
  'test/csms/web/polling.test.ts',
  'test/csms/web/realtime.test.ts',
  'test/csms/web/reservation.test.ts',
  'test/csms/web/sign-in-limits.test.ts',
  'test/csms/web/wallet.test.ts',
];

export default defineConfig({
  test: {
    // Outage tests stop a private RabbitMQ node of their own (test/helpers/rabbit.ts), never the
    // shared broker, so every file can run beside the others.
    exclude: ['node_modules/**'],
    // A timeout detects a hang, it does not judge speed: generous enough for a loaded 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at a time (vitest's default is one less than the cores: one here). Most files wait on
    // sockets, timers and child processes rather than compute: two at once take the suite from about
    // 15 to about 9 minutes on a 2-core machine, and every test waits by condition, not by time.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: unit } },
      // A CSMS on port 0 with SQLite, RabbitMQ, child processes (CLIs, a CSMS child, a private broker node), simulator runs.
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts'], exclude: [...unit, ...browser] } },
      { extends: true, test: { name: 'browser', include: browser } },
    ],
    // On with `--coverage` (npm test). Child processes (CLIs, CSMS children) are not measured.
    coverage: {
      provider: 'v8',
      include: ['src/**/*.{ts,tsx}'],
      reporter: ['text-summary', 'json-summary', 'html'],
      reportsDirectory: 'coverage',
      // Floors for the code every charger depends on, about five points under what the full suite
      // measured on a loaded machine (README, "Coverage"), so only a real drop fails the run.
      thresholds: {
        'src/ocpp/**': { lines: 95, statements: 95, functions: 95, branches: 88 },
        'src/csms/domain/**': { lines: 93, statements: 90, functions: 93, branches: 85 },
        'src/csms/processor/**': { lines: 95, statements: 90, functions: 89, branches: 85 },
      },
    },
  },
});
