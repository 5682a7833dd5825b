/**
 * scenarios/crash-recovery.yaml in RabbitMQ mode, as CI runs it: the CSMS (a child process) is
 * killed with SIGKILL under load, chargers lose power, the broker (a private node, never the shared
 * one) goes away with a kill inside the outage, and at the end nothing the CSMS acknowledged may be
 * missing, no session may be left open and every wallet must add up. The broker-outage
 * variant (crash-recovery-outage.yaml) is run by hand: CI time goes to the two modes.
 */
import { expect, it } from 'vitest';
import { withCsmsMode } from '../../src/cli/run-scenario.ts';
import { runScenario } from '../../src/simulator/runner.ts';
import { describeRabbit } from '../helpers/rabbit.ts';
import { expectNothingLost, scenario } from './crash-recovery-helpers.ts';

describeRabbit('crash-recovery in RabbitMQ mode (a private broker node)', () => {
  it('crash-recovery.yaml: loses nothing acknowledged, with a kill -9 inside a broker outage', async () => {
    const s = await scenario('crash-recovery.yaml');
    const lines: string[] = [];
    const mode = withCsmsMode(s.target, 'rabbitmq');
    if (!mode.ok) throw new Error(mode.error);
    const result = await runScenario(s, { targetOverride: mode.target, log: (l) => lines.push(l) });
    expectNothingLost(result);
    expect(lines.some((l) => l.includes('stop_app'))).toBe(true);
  }, 300_000);
});
