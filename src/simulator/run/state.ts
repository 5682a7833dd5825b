/** What the phases of one run share: its scenario and options, the actors, the target, the phase, and why the load ended. */
import { performance } from 'node:perf_hooks';
import type { AdminWatcher } from '../admin.ts';
import type { Adversary } from '../adversary.ts';
import type { ChaosRunner, CsmsMode } from '../chaos.ts';
import type { SimCharger } from '../charger.ts';
import type { Actor, SimContext } from '../context.ts';
import type { SimCustomer } from '../customer.ts';
import { createExpectations, type Expectations } from '../expectations.ts';
import { createHealthMonitor, type GeneratorHealth, type HealthMonitor } from '../generator-health.ts';
import { createLedger } from '../ledger.ts';
import { createMetrics, type Metrics } from '../metrics.ts';
import { createRandom } from '../random.ts';
import { createRestClient } from '../rest.ts';
import type { Scenario, Target } from '../scenario/schema.ts';
import { createSitePower } from '../site-power.ts';
import { createScheduler, type Scheduler } from '../scheduler.ts';
import type { RunningTarget } from '../target.ts';
import { parseThreshold, type Threshold } from '../thresholds.ts';
import type { ExitCode, FirmwareRolloutSnapshot, MetricsSnapshot, ReconcileSummary, RunResult } from '../types.ts';
import type { RunOptions } from '../runner.ts';

export type Phase = MetricsSnapshot['phase'];

/** A phase that could not go on, with the exit code and reason the run reports. */
export interface RunFailure {
  code: ExitCode;
  reason: string;
}

export interface RunState {
  readonly scenario: Scenario;
  readonly opts: RunOptions;
  readonly log: (line: string) => void;
  readonly startedAt: Date;
  readonly t0: number;
  readonly targetSpec: Target;
  readonly durationMs: number;
  readonly thresholds: Threshold[];
  readonly metrics: Metrics;
  readonly expectations: Expectations;
  readonly health: HealthMonitor;
  readonly scheduler: Scheduler<Actor>;
  readonly ctx: SimContext;
  readonly chargers: SimCharger[];
  readonly customers: SimCustomer[];
  readonly admins: AdminWatcher[];
  readonly adversaries: Adversary[];
  readonly chaosTimers: NodeJS.Timeout[];
  readonly timeline: RunResult['timeline'];
  phase: Phase;
  target: RunningTarget | null;
  chaos: ChaosRunner | null;
  /** The CSMS's own mode, as the chaos actions need it. */
  mode: CsmsMode;
  /** Set when the CSMS died or could not start again: nothing more can be asked of it. */
  targetFailed: boolean;
  reconciliation: ReconcileSummary | null;
  /** The firmware rollout's progress, when the scenario has one. */
  firmware: FirmwareRolloutSnapshot | null;
  generator: GeneratorHealth;
  /** Why the load phase ends early, if it does; `code` null: stopped early, judged on the data so far. */
  endReason: { code: ExitCode | null; reason: string } | null;
  /** Wakes the load phase's wait at once (set while it waits). */
  wake: (() => void) | null;
}

/** The state of a run that has not started: nothing is opened here. */
export function createRunState(scenario: Scenario, opts: RunOptions): RunState {
  const log = opts.log ?? (() => {});
  const targetSpec = opts.targetOverride ?? scenario.target;
  const thresholds: Threshold[] = scenario.thresholds.map((text) => {
    const parsed = parseThreshold(text);
    if (!parsed.ok) throw new Error(`threshold "${text}": ${parsed.error}`); // the schema refused these already
    return parsed.threshold;
  });
  const metrics = createMetrics();
  const expectations = createExpectations(metrics, scenario.notifications.lossDeadline);
  const health = createHealthMonitor(
    { maxEventLoopP99Ms: scenario.generator.maxEventLoopP99, maxCpuPct: scenario.generator.maxCpuPct, sustainMs: scenario.generator.sustain },
    targetSpec.kind === 'embedded',
  );
  const scheduler = createScheduler<Actor>((e) => e.target.onTimer(e.kind, e.at, e.gen));
  const random = createRandom(scenario.seed);
  const admins: AdminWatcher[] = [];
  const ctx: SimContext = {
    metrics, expectations, ledger: createLedger(), scheduler, random: random.fork('actors'),
    rest: createRestClient('http://127.0.0.1:0', metrics),
    ocppUrls: [], httpUrl: '', realtime: 'polling', cmsUrl: null,
    pollIntervalsMs: { activeSession: 1000, detail: 3000, list: 10_000 },
    admins, ownersByIdTag: new Map(), sites: createSitePower(), stopping: false, chaosUntil: 0, log,
  };
  return {
    scenario, opts, log,
    startedAt: new Date(),
    t0: performance.now(),
    targetSpec,
    durationMs: opts.durationOverrideS !== undefined ? opts.durationOverrideS * 1000 : scenario.duration,
    thresholds, metrics, expectations, health, scheduler, ctx,
    chargers: [], customers: [], admins, adversaries: [], chaosTimers: [], timeline: [],
    phase: 'setup', target: null, chaos: null, mode: 'embedded', targetFailed: false, reconciliation: null,
    firmware: scenario.firmware ? { targeted: 0, installed: 0, failed: 0, durationMs: null } : null,
    generator: health.sample(),
    endReason: null, wake: null,
  };
}

/** Ends the load phase early (the first reason wins). */
export function endLoad(run: RunState, code: ExitCode | null, reason: string): void {
  run.endReason ??= { code, reason };
  run.wake?.();
}
