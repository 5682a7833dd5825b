/**
 * scenarios/crash-recovery.yaml, as CI runs it: the CSMS (a child process) is killed with SIGKILL
 * under load, chargers lose power, and at the end nothing the CSMS acknowledged may be missing, no
 * session may be left open and every wallet must add up.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/simulator/runner.ts';
import { expectNothingLost, scenario } from './crash-recovery-helpers.ts';

describe('crash-recovery.yaml (embedded)', () => {
  it('loses nothing acknowledged across two kill -9 and charger reboots', async () => {
    const s = await scenario('crash-recovery.yaml');
    const lines: string[] = [];
    const result = await runScenario(s, { log: (l) => lines.push(l) });
    expectNothingLost(result);
    expect(lines.filter((l) => l.includes('kill -9 of pid'))).toHaveLength(2);
  }, 240_000);
});

