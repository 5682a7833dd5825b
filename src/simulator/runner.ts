/**
 * The engine: runScenario(scenario, opts) → RunResult. It composes the phases of run/: prepare
 * (start or find the target, provision it over REST, connect customers, admins and adversaries),
 * load (ramp the fleet up, hold, ramp down and drain the notifications still expected),
 * reconciliation, teardown, and the verdict on the thresholds. It never prints and never exits:
 * snapshots go to `onSnapshot`, lines to `log`, the verdict is in the result.
 */
import { scenarioFile } from './scenario/loader.ts';
import type { Scenario, Target } from './scenario/schema.ts';
import { SetupError } from './setup.ts';
import { evaluateThresholds } from './thresholds.ts';
import type { MetricsSnapshot, RunResult } from './types.ts';
import { load } from './run/load.ts';
import { prepare } from './run/prepare.ts';
import { reconcileRun } from './run/reconciliation.ts';
import { createSnapshotter } from './run/snapshot.ts';
import { createRunState, endLoad, type RunFailure } from './run/state.ts';
import { teardown } from './run/teardown.ts';
import { verdict } from './run/verdict.ts';

export { evaluateThresholds } from './thresholds.ts';

export interface RunOptions {
  onSnapshot?(s: MetricsSnapshot): void;
  /** Default 250 ms. */
  snapshotIntervalMs?: number;
  /** Abort (Ctrl-C): ramp down at once and still produce a result. */
  signal?: AbortSignal;
  /** Replaces the scenario's `duration`, seconds. */
  durationOverrideS?: number;
  targetOverride?: Target;
  /** Where files of the run go besides the reports (the child CSMS's csms.log); a temporary directory otherwise. */
  artifactDir?: string;
  /** How long the end-of-run reconciliation waits for the CSMS to settle; default 30 s when a threshold judges it, else 5 s (3 s after an abort). */
  reconcileSettleMs?: number;
  log?(line: string): void;
}

/** Runs one scenario to its end (or until aborted) and returns what it measured. */
export async function runScenario(scenario: Scenario, opts: RunOptions = {}): Promise<RunResult> {
  const run = createRunState(scenario, opts);
  const { log } = run;
  const onAbort = (): void => endLoad(run, null, 'interrupted: stopped early, thresholds judged on the data so far');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();

  const snapshot = createSnapshotter(run);
  const tick = (): void => {
    try {
      opts.onSnapshot?.(snapshot());
    } catch (error) {
      log(`onSnapshot failed: ${(error as Error).message}`);
    }
  };
  const snapshotTimer = setInterval(tick, opts.snapshotIntervalMs ?? 250);

  let failure: RunFailure | null = null;
  try {
    failure = await prepare(run);
    if (!failure) await load(run);
    if (!failure) await reconcileRun(run);
  } catch (error) {
    failure = { code: 3, reason: `${error instanceof SetupError ? 'setup failed' : 'run failed'}: ${(error as Error).message}` };
    log(failure.reason);
  } finally {
    await teardown(run);
    clearInterval(snapshotTimer);
    opts.signal?.removeEventListener('abort', onAbort);
  }

  run.phase = 'done';
  const final = snapshot();
  run.health.stop();
  const judged = evaluateThresholds(run.thresholds, final, { final: true });
  final.thresholds = judged;
  opts.onSnapshot?.(final);
  const { exitCode, reason } = verdict(run, failure, judged);
  const finishedAt = new Date();
  return {
    scenario: { name: scenario.name, file: scenarioFile(scenario), seed: scenario.seed },
    startedAt: run.startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationS: Math.round((finishedAt.getTime() - run.startedAt.getTime()) / 100) / 10,
    final,
    timeline: run.timeline,
    percentiles: run.metrics.curves(),
    thresholds: judged,
    exitCode,
    reason,
  };
}
