/** The load: the fleet ramps up and holds for the scenario's duration, chaos actions start on schedule, then the ramp-down. */
import { performance } from 'node:perf_hooks';
import { scheduleFirmwareRollout } from '../firmware-rollout.ts';
import { rampDown } from './ramp-down.ts';
import type { RunState } from './state.ts';

/** Runs ramp-up and hold until the duration is over or the load ends early, then ramps down. */
export async function load(run: RunState): Promise<void> {
  if (run.endReason) return;
  const { scenario, chargers, customers, ctx, chaosTimers, log } = run;
  // A slow setup (startup, provisioning on a busy machine) is not judged: only the load is.
  run.health.rearm();
  run.phase = 'ramp-up';
  const loadStart = performance.now();
  const interval = 1000 / scenario.phases.rampUp.rate;
  chargers.forEach((ch, i) => ch.scheduleConnect(loadStart + i * interval));
  const rampUpEnd = loadStart + chargers.length * interval;
  for (const cu of customers) cu.begin();
  for (const action of scenario.chaos) {
    chaosTimers.push(setTimeout(() => {
      run.chaos!.start(action).catch((error) => {
        ctx.log(`chaos ${action.action} failed: ${(error as Error).message}`);
        run.metrics.error(`chaos ${action.action} failed`, false);
      });
    }, action.at));
  }
  if (scenario.firmware && run.firmware) chaosTimers.push(scheduleFirmwareRollout(run, scenario.firmware.rollout, run.firmware));
  const loadEnd = loadStart + run.durationMs;
  while (!run.endReason && performance.now() < loadEnd) {
    if (run.phase === 'ramp-up' && performance.now() >= rampUpEnd) run.phase = 'hold';
    await new Promise<void>((resolve) => {
      run.wake = resolve;
      setTimeout(resolve, Math.min(100, Math.max(0, loadEnd - performance.now())));
    });
    run.wake = null;
  }
  for (const t of chaosTimers) clearTimeout(t);
  // An outage or a restart still under way ends first, so the ramp-down meets a whole CSMS; an
  // abort or a dead target cuts it short instead.
  if (run.endReason) await run.chaos?.restore().catch((error) => log(`chaos restore failed: ${(error as Error).message}`));
  else await run.chaos?.settle();
  await rampDown(run);
}
