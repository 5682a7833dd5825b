/**
 * A shipped scenario as `ev-sim run` loads it, minus its time limits (`notify.meter.values.p99 < 200ms`)
 * and the generator's overload verdict (exit 3 when its own event loop lags), and with a notification
 * lost only after 20 s at least: on a loaded machine those judge the machine, not the code. The count and correctness thresholds
 * (leaks, lost notifications, negative balances, stuck sessions) still decide; bench/ measures speed.
 */
import { loadScenario } from '../../src/simulator/scenario/loader.ts';
import type { Scenario } from '../../src/simulator/scenario/schema.ts';
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
