import { parseScenario } from '../../src/simulator/scenario/loader.ts';
import type { Scenario } from '../../src/simulator/scenario/schema.ts';

/**
 * A scenario from YAML text, without the generator's overload verdict and with patient notification
 * watchers (see below); throws with the loader's errors when it is invalid.
 */
export function aScenario(yaml: string): Scenario {
  const r = parseScenario(yaml);
  if (!r.ok) throw new Error(`invalid test scenario: ${JSON.stringify(r.errors)}`);
  return withPatientWatchers(withoutOverloadVerdict(r.scenario));
}

/** What a test run allows a notification at least before it counts as lost. */
export const TEST_LOSS_DEADLINE_MS = 20_000;

/**
 * The scenario with a notification counted lost only after TEST_LOSS_DEADLINE_MS at least: a late
 * notification on a busy machine is late, not lost. The drain ends as soon as every expected one
 * arrived, so only a real loss waits that long.
 */
export function withPatientWatchers(scenario: Scenario): Scenario {
  return { ...scenario, notifications: { ...scenario.notifications, lossDeadline: Math.max(scenario.notifications.lossDeadline, TEST_LOSS_DEADLINE_MS) } };
}

/**
 * The scenario with the generator's overload verdict (exit 3 after `generator.sustain` of event-loop
 * lag or CPU) switched off: in a test the machine is shared and may be busy, and a slow machine must
 * not decide a test. The check itself is covered with synthetic samples in generator-health.test.ts;
 * `ev-sim run` keeps it.
 */
export function withoutOverloadVerdict(scenario: Scenario): Scenario {
  return { ...scenario, generator: { ...scenario.generator, sustain: Number.POSITIVE_INFINITY } };
}

/** A small, busy fleet: 10 chargers (HTTP Basic auth), 5 customers with short app and RFID sessions. */
export function aBusyScenario(extra = '', opts: { register?: 'self' | 'cms' } = {}): Scenario {
  return aScenario(`
name: busy
seed: 7
duration: 8s
chargers:
  - idPattern: SIM-{0000}
    count: 10
    connectors: 2
    heartbeatInterval: 2s
    meterValues: { interval: 1s, measurands: [Energy.Active.Import.Register, Power.Active.Import, SoC] }
    basicAuth: true
    faults: { malformedFramesPerMinute: 6 }
customers:
  count: 5
  register: ${opts.register ?? 'self'}
  sessions: { mix: { app: 1, rfid: 1 }, interval: [0.3s, 0.8s], duration: [2s, 3s] }
adversarial: { count: 1, interval: 1s }
admins: { count: 1 }
phases: { rampUp: { rate: 50 } }
notifications: { lossDeadline: 5s }
${extra}`);
}
