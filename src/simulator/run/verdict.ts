/** The verdict: the final thresholds and the run's exit code and reason, from a failure, an early end, or the thresholds. */
import type { ExitCode, ThresholdState } from '../types.ts';
import type { RunFailure, RunState } from './state.ts';

/** The exit code and reason of a run given what failed (if anything) and its judged thresholds. */
export function verdict(run: RunState, failure: RunFailure | null, judged: ThresholdState[]): { exitCode: ExitCode; reason: string } {
  const failed = judged.filter((t) => t.ok === false);
  const ended = run.endReason;
  let exitCode: ExitCode;
  let reason: string;
  if (failure) ({ code: exitCode, reason } = failure);
  else if (ended?.code === 3) {
    exitCode = 3;
    reason = ended.reason;
  } else if (failed.length > 0) {
    exitCode = 1;
    reason = `${failed.length} of ${judged.length} thresholds failed: ${failed.map((t) => t.message).join('; ')}`;
  } else {
    exitCode = 0;
    reason = judged.length > 0 ? `all ${judged.length} thresholds held` : 'no thresholds to judge';
  }
  if (ended && ended.code === null && exitCode !== 3) reason = `${ended.reason}; ${reason}`;
  return { exitCode, reason };
}
