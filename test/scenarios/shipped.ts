/**
 * A shipped scenario as `ev-sim run` loads it, minus its time limits (`notify.meter.values.p99 < 200ms`)
 * and the generator's overload verdict (exit 3 when its own event loop lags), and with a notification
 * lost only after 20 s at least: on a loaded machine those judge the machine, not the code. The count and correctness thresholds
 * (leaks, lost notifications, negative balances, stuck sessions) still decide; bench/ measures speed.
 */
import { expect } from 'vitest';
import { runScenario } from '../../src/simulator/runner.ts';
import { loadScenario } from '../../src/simulator/scenario/loader.ts';
import type { Scenario } from '../../src/simulator/scenario/schema.ts';
import type { RunResult } from '../../src/simulator/types.ts';
import { isTimeThreshold, parseThreshold } from '../../src/simulator/thresholds.ts';
import { withoutOverloadVerdict, withPatientWatchers } from '../simulator/helpers.ts';

export async function shippedScenario(file: string): Promise<Scenario> {
  const loaded = await loadScenario(new URL(`../../scenarios/${file}`, import.meta.url).pathname);
  if (!loaded.ok) throw new Error(`${file}: ${JSON.stringify(loaded.errors)}`);
  const thresholds = loaded.scenario.thresholds.filter((text) => {
    const parsed = parseThreshold(text);
    return !(parsed.ok && isTimeThreshold(parsed.threshold));
  });
  return withPatientWatchers(withoutOverloadVerdict({ ...loaded.scenario, thresholds }));
}

/** Runs a shipped scenario as CI does (see shippedScenario). */
export async function run(file: string): Promise<RunResult> {
  return runScenario(await shippedScenario(file), {});
}

/** Exit 0, every threshold held, no isolation leak; the run's errors shown when not. */
export function expectPassed(result: RunResult): void {
  const failed = result.thresholds.filter((t) => t.ok !== true).map((t) => t.message);
  // Which errors, when one was unexpected: the run's errors by kind, as its report lists them.
  expect({ exitCode: result.exitCode, reason: result.reason, failed }, `errors: ${JSON.stringify(result.final.errors.top)}`).toEqual({ exitCode: 0, reason: expect.any(String), failed: [] });
  expect(result.final.isolation.leaks).toBe(0);
}
