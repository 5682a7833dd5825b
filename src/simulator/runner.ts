/**
 * The engine: runScenario(scenario, opts) → RunResult. It starts (or finds) the target, provisions
 * it over REST, connects customers, admins and adversaries, ramps the fleet up, holds, ramps down,
 * drains the notifications still expected, and judges the thresholds. It never prints and never
 * exits: snapshots go to `onSnapshot`, lines to `log`, the verdict is in the result.
 */
import { performance } from 'node:perf_hooks';
import { AdminWatcher } from './admin.ts';
import { Adversary } from './adversary.ts';
import { createChaos, chaosUnsupported, type ChaosRunner, type CsmsMode } from './chaos.ts';
import { createFleetShared, SimCharger } from './charger.ts';
import type { Actor, SimContext } from './context.ts';
import { SimCustomer } from './customer.ts';
import { createExpectations } from './expectations.ts';
import { createLedger } from './ledger.ts';
import { createHealthMonitor, type GeneratorHealth } from './generator-health.ts';
import { createMetrics } from './metrics.ts';
import { createRandom } from './random.ts';
import { SCALAR_PATHS } from './metric-names.ts';
import { reconcile } from './reconcile.ts';
import { createRestClient } from './rest.ts';
import { scenarioFile } from './scenario/loader.ts';
import type { Scenario, Target } from './scenario/schema.ts';
import { createScheduler } from './scheduler.ts';
import { adminLogin, findCmsUrl, inBatches, provisionChargers, provisionCustomers, readRemoteConfig, SetupError } from './setup.ts';
import { startTarget, type RunningTarget } from './target.ts';
import { evaluateThresholds, parseThreshold, type Threshold } from './thresholds.ts';
import type { ExitCode, MetricsSnapshot, ReconcileSummary, RunResult } from './types.ts';

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

type Phase = MetricsSnapshot['phase'];

const MAX_TIMELINE = 600;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs one scenario to its end (or until aborted) and returns what it measured. */
export async function runScenario(scenario: Scenario, opts: RunOptions = {}): Promise<RunResult> {
  const log = opts.log ?? (() => {});
  const startedAt = new Date();
  const t0 = performance.now();
  const targetSpec = opts.targetOverride ?? scenario.target;
  const durationMs = opts.durationOverrideS !== undefined ? opts.durationOverrideS * 1000 : scenario.duration;
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

  let phase: Phase = 'setup';
  let target: RunningTarget | null = null;
  let loadStart = 0;
  let rampUpEnd = 0;
  let gen: GeneratorHealth = health.sample();
  const chargers: SimCharger[] = [];
  const customers: SimCustomer[] = [];
  const admins: AdminWatcher[] = [];
  const adversaries: Adversary[] = [];
  let chaos: ChaosRunner | null = null;
  let mode: CsmsMode = 'embedded';
  const chaosTimers: NodeJS.Timeout[] = [];
  let reconciliation: ReconcileSummary | null = null;
  // Set when the CSMS died or could not start again: nothing more can be asked of it.
  let targetFailed = false;
  const timeline: RunResult['timeline'] = [];
  let timelineEvery = 1;
  let snapshotCount = 0;
  let last = { at: performance.now(), ocppSent: 0, ocppReceived: 0, restRequests: 0, notifications: 0 };

  const ctx: SimContext = {
    metrics, expectations, ledger: createLedger(), scheduler, random: random.fork('actors'),
    rest: createRestClient('http://127.0.0.1:0', metrics),
    ocppUrl: '', httpUrl: '', realtime: 'polling', cmsUrl: null,
    pollIntervalsMs: { activeSession: 1000, detail: 3000, list: 10_000 },
    admins, ownersByIdTag: new Map(), stopping: false, chaosUntil: 0, log,
  };

  // Why the load phase ends early, if it does.
  let endReason: { code: ExitCode | null; reason: string } | null = null;
  let wake: (() => void) | null = null;
  const endLoad = (code: ExitCode | null, reason: string): void => {
    endReason ??= { code, reason };
    wake?.();
  };
  const onAbort = (): void => endLoad(null, 'interrupted: stopped early, thresholds judged on the data so far');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();

  function snapshot(): MetricsSnapshot {
    const now = performance.now();
    const dt = Math.max(0.001, (now - last.at) / 1000);
    const c = metrics.counters;
    const rates = {
      ocppSent: Math.round((c.ocppSent - last.ocppSent) / dt),
      ocppReceived: Math.round((c.ocppReceived - last.ocppReceived) / dt),
      restRequests: Math.round((c.restRequests - last.restRequests) / dt),
      notifications: Math.round((c.notifications - last.notifications) / dt),
    };
    last = { at: now, ocppSent: c.ocppSent, ocppReceived: c.ocppReceived, restRequests: c.restRequests, notifications: c.notifications };
    expectations.sweep(now);
    gen = health.sample();
    if (gen.overloaded && phase !== 'setup' && phase !== 'done') endLoad(3, gen.reason!);
    const fleet = { total: chargers.length, connecting: 0, available: 0, charging: 0, faulted: 0, offline: 0 };
    for (const ch of chargers) {
      if (ch.state === 'connecting') fleet.connecting++;
      else if (ch.state !== 'online') fleet.offline++;
      else if (ch.charging) fleet.charging++;
      else if (ch.faulted) fleet.faulted++;
      else fleet.available++;
    }
    const realtime = customers.filter((cu) => cu.socket?.connected).length;
    const elapsedS = Math.round((now - t0) / 100) / 10;
    const interval = metrics.roll();
    if (phase !== 'setup') {
      if (snapshotCount++ % timelineEvery === 0) timeline.push({ t: elapsedS, rates, latency: interval });
      if (timeline.length > MAX_TIMELINE) {
        // Keep every other point and sample half as often from now on.
        for (let i = 0; i * 2 < timeline.length; i++) timeline[i] = timeline[i * 2];
        timeline.length = Math.ceil(timeline.length / 2);
        timelineEvery *= 2;
      }
    }
    const s: MetricsSnapshot = {
      at: Date.now(),
      elapsedS,
      phase,
      target: {
        kind: targetSpec.kind,
        httpUrl: target?.httpUrl ?? (targetSpec.kind === 'remote' ? targetSpec.httpUrl : ''),
        ocppUrl: target?.ocppUrl ?? (targetSpec.kind === 'remote' ? targetSpec.ocppUrl : ''),
        realtime: ctx.realtime,
        cmsUrl: ctx.cmsUrl,
      },
      fleet,
      customers: {
        total: customers.length,
        connected: customers.filter((cu) => cu.connected).length,
        realtime,
        polling: ctx.realtime === 'polling' ? customers.length : 0,
        adversarial: adversaries.length,
        admins: admins.length,
      },
      rates,
      latency: metrics.stats(),
      thresholds: [],
      errors: metrics.errors(),
      isolation: metrics.isolation(),
      notifications: { expected: c.expected, received: c.received, lost: c.lost },
      generator: gen,
      reconciliation,
    };
    s.thresholds = evaluateThresholds(thresholds, s);
    return s;
  }

  const tick = (): void => {
    try {
      opts.onSnapshot?.(snapshot());
    } catch (error) {
      log(`onSnapshot failed: ${(error as Error).message}`);
    }
  };
  const snapshotTimer = setInterval(tick, opts.snapshotIntervalMs ?? 250);

  let failure: { code: ExitCode; reason: string } | null = null;
  try {
    failure = await prepare();
    if (!failure) await load();
    if (!failure) await reconcileRun();
  } catch (error) {
    failure = { code: 3, reason: `${error instanceof SetupError ? 'setup failed' : 'run failed'}: ${(error as Error).message}` };
    log(failure.reason);
  } finally {
    await teardown();
    clearInterval(snapshotTimer);
    opts.signal?.removeEventListener('abort', onAbort);
  }

  phase = 'done';
  const final = snapshot();
  health.stop();
  const judged = evaluateThresholds(thresholds, final, { final: true });
  final.thresholds = judged;
  opts.onSnapshot?.(final);
  const failed = judged.filter((t) => t.ok === false);
  const ended = endReason as { code: ExitCode | null; reason: string } | null; // set from callbacks
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
  const finishedAt = new Date();
  return {
    scenario: { name: scenario.name, file: scenarioFile(scenario), seed: scenario.seed },
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationS: Math.round((finishedAt.getTime() - startedAt.getTime()) / 100) / 10,
    final,
    timeline,
    percentiles: metrics.curves(),
    thresholds: judged,
    exitCode,
    reason,
  };

  /** Target, provisioning, customers and watchers; returns a failure instead of throwing for the expected ones. */
  async function prepare(): Promise<{ code: ExitCode; reason: string } | null> {
    try {
      target = await startTarget(targetSpec, { artifactDir: opts.artifactDir, log });
    } catch (error) {
      return { code: 3, reason: `the embedded CSMS did not start: ${(error as Error).message}` };
    }
    target.onFailure((why) => {
      targetFailed = true;
      log(why);
      endLoad(3, why);
    });
    ctx.httpUrl = target.httpUrl;
    ctx.ocppUrl = target.ocppUrl;
    ctx.rest.setBaseUrl(target.httpUrl);
    log(`target: ${target.kind} ${target.httpUrl} ${target.ocppUrl}`);
    ctx.cmsUrl = await findCmsUrl(target.httpUrl);
    if (ctx.cmsUrl) log(`web CMS ${ctx.cmsUrl}${target.kind === 'embedded' ? ` (admin ${target.admin.email} / ${target.admin.password})` : ''}, customer panel ${target.httpUrl}/app/`);
    if (target.kind === 'embedded') {
      // A person watching the demo can use the embedded CSMS while it runs.
      log(`  REST API ${target.httpUrl}/api, OpenAPI ${target.httpUrl}/docs`);
    }
    let remote;
    try {
      remote = await readRemoteConfig(ctx.rest);
    } catch (error) {
      return { code: 3, reason: `target unreachable: ${(error as Error).message}` };
    }
    // The CSMS's own mode: an embedded one is as configured; a remote one pushes over Socket.io only with RabbitMQ.
    mode = target.kind === 'embedded' ? (target.rabbitmq ? 'rabbitmq' : 'embedded') : remote.realtime === 'socket.io' ? 'rabbitmq' : 'embedded';
    for (const action of scenario.chaos) {
      const why = chaosUnsupported(action, target, mode);
      if (why) return { code: 2, reason: `chaos: ${why}` };
      if (action.action === 'rabbitmq-outage' && target.rabbitmq && !target.rabbitmq.node && (!action.onlyMode || action.onlyMode === mode)) {
        log('chaos: rabbitmq-outage will stop the shared RabbitMQ node: every other client of it loses its broker too (csms.broker: private avoids that)');
      }
    }
    ctx.realtime = scenario.customers.realtime === 'auto' ? remote.realtime : scenario.customers.realtime;
    ctx.pollIntervalsMs = remote.pollIntervalsMs;
    if (ctx.realtime === 'socket.io' && remote.realtime !== 'socket.io') {
      return { code: 3, reason: 'customers.realtime is socket.io but the target polls (ENABLE_RABBITMQ=false): it has no Socket.io' };
    }
    if (scenario.customers.count > 0 && scenario.customers.topUps && !remote.walletSelfTopup) {
      return { code: 3, reason: 'customers.topUps: the target lets no customer add money without paying (WALLET_SELF_TOPUP=false; target.csms.walletSelfTopup for an embedded one)' };
    }
    const adminToken = await adminLogin(ctx.rest, target.admin);
    const provisioned = await provisionChargers(ctx.rest, adminToken, scenario);
    const shared = createFleetShared(ctx);
    provisioned.forEach((p, i) => chargers.push(new SimCharger(i, p.id, p.tpl, p.password, ctx, shared)));
    log(`setup: ${chargers.length} charge points registered`);
    const credit = remote.walletSelfTopup ? 'self' : 'admin';
    const accounts = await provisionCustomers(ctx.rest, adminToken, scenario.customers.count, scenario.customers.register, scenario.customers.initialBalance, 'customer', credit);
    // provisionCustomers throws unless every opening top-up was confirmed.
    if (scenario.customers.initialBalance > 0) for (const a of accounts) ctx.ledger.toppedUp(a.email, scenario.customers.initialBalance);
    for (const a of accounts) {
      const cu = new SimCustomer(a, ctx, scenario.customers, chargers);
      customers.push(cu);
      ctx.ownersByIdTag.set(a.idTag, cu);
    }
    if (ctx.cmsUrl && accounts.length > 0) log(`  customer panel: sign in as ${accounts[0].email} / ${accounts[0].password} to watch that customer's sessions`);
    const hostile = await provisionCustomers(ctx.rest, adminToken, scenario.adversarial.count, 'self', 0, 'adversary');
    for (const a of hostile) adversaries.push(new Adversary(a, ctx, customers, scenario.adversarial.interval));
    for (let i = 0; i < scenario.admins.count; i++) admins.push(new AdminWatcher(adminToken, ctx));
    log(`setup: ${customers.length} customers, ${adversaries.length} adversaries, ${admins.length} admins; realtime ${ctx.realtime}`);
    try {
      await inBatches(customers, 32, (cu) => cu.connect());
      await inBatches(adversaries, 32, (a) => a.connect());
      await inBatches(admins, 8, (a) => a.connect());
    } catch (error) {
      return { code: 3, reason: `customers could not connect: ${(error as Error).message}` };
    }
    chaos = createChaos(ctx, chargers, target, mode);
    return null;
  }

  async function load(): Promise<void> {
    if (endReason) return;
    // A slow setup (startup, provisioning on a busy machine) is not judged: only the load is.
    health.rearm();
    phase = 'ramp-up';
    loadStart = performance.now();
    const interval = 1000 / scenario.phases.rampUp.rate;
    chargers.forEach((ch, i) => ch.scheduleConnect(loadStart + i * interval));
    rampUpEnd = loadStart + chargers.length * interval;
    for (const cu of customers) cu.begin();
    for (const action of scenario.chaos) {
      chaosTimers.push(setTimeout(() => {
        chaos!.start(action).catch((error) => {
          ctx.log(`chaos ${action.action} failed: ${(error as Error).message}`);
          metrics.error(`chaos ${action.action} failed`, false);
        });
      }, action.at));
    }
    const loadEnd = loadStart + durationMs;
    while (!endReason && performance.now() < loadEnd) {
      if (phase === 'ramp-up' && performance.now() >= rampUpEnd) phase = 'hold';
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, Math.min(100, Math.max(0, loadEnd - performance.now())));
      });
      wake = null;
    }
    for (const t of chaosTimers) clearTimeout(t);
    // An outage or a restart still under way ends first, so the ramp-down meets a whole CSMS; an
    // abort or a dead target cuts it short instead.
    if (endReason) await chaos?.restore().catch((error) => log(`chaos restore failed: ${(error as Error).message}`));
    else await chaos?.settle();
    await rampDown();
  }

  /** After the chargers are done: the ledger against the target's admin API (skipped when the target died). */
  async function reconcileRun(): Promise<void> {
    if (!target || targetFailed) return;
    phase = 'reconciling';
    // The full wait only when a threshold judges the reconciliation; otherwise its figures are informative.
    const judged = thresholds.some((t) => t.metric.kind === 'scalar' && t.metric.path in SCALAR_PATHS);
    const settleMs = opts.reconcileSettleMs ?? (opts.signal?.aborted ? 3000 : judged ? 30_000 : 5000);
    try {
      reconciliation = await reconcile({
        httpUrl: target.httpUrl,
        admin: target.admin,
        ledger: ctx.ledger,
        chargerIds: new Set(chargers.map((ch) => ch.id)),
        customers: customers.map((cu) => cu.account),
        since: startedAt.toISOString(),
        settleMs,
        log,
      });
      const r = reconciliation;
      log(`reconciliation: ${r.ackedLost} acked lost (${r.lost.stops} StopTransaction, ${r.lost.meterValues} MeterValues, ${r.lost.starts} StartTransaction), ${r.sessionsStuck} sessions stuck, ${r.billingMismatches} billing mismatches, ${r.negativeBalances} wallets below zero (checked ${r.checked.stops} stops, ${r.checked.meterValues} MeterValues, ${r.checked.sessions} sessions, ${r.checked.wallets} wallets)`);
      for (const line of r.findings.slice(0, 5)) log(`  ${line}`);
    } catch (error) {
      log(`reconciliation failed: ${(error as Error).message}`);
    }
  }

  async function rampDown(): Promise<void> {
    phase = 'ramp-down';
    ctx.stopping = true;
    log('ramp-down: stopping sessions, then disconnecting chargers');
    for (const cu of customers) if (cu.current) void cu.stopSession();
    // Sessions end through the CSMS (RemoteStop) or at the charger. Every open transaction must get
    // its StopTransaction answered before its charger goes, so wait for all of them, online or not: a
    // charger that is offline now reconnects (with its backoff) and sends the stop then. Halfway, what
    // is still open and not asked to stop is stopped at the charger (the driver unplugs).
    // A dead CSMS answers nothing: no point waiting for it.
    const budget = targetFailed ? 0 : Math.min(15_000, scenario.notifications.lossDeadline + 5000);
    const since = performance.now();
    const open = (): SimCharger[] => chargers.filter((ch) => ch.charging && ch.state !== 'closed');
    let unplugged = false;
    while (performance.now() - since < budget && open().length > 0) {
      if (!unplugged && performance.now() - since >= budget / 2) {
        unplugged = true;
        for (const ch of open()) ch.stopAll('Local');
      }
      await sleep(50);
    }
    // Counted as errors by shutdown(): a stop that never got through must not vanish.
    const left = open();
    if (left.length > 0) log(`ramp-down: ${left.length} chargers still have open transactions after ${budget} ms: ${left.slice(0, 5).map((ch) => `${ch.id} (${ch.state})`).join(', ')}`);
    const perTick = Math.max(1, Math.round(scenario.phases.rampDown.rate / 10));
    for (let i = 0; i < chargers.length; i += perTick) {
      for (const ch of chargers.slice(i, i + perTick)) ch.shutdown();
      if (i + perTick < chargers.length) await sleep(100);
    }
    phase = 'draining';
    const grace = ctx.realtime === 'polling' ? (admins.length > 0 ? ctx.pollIntervalsMs.list : ctx.pollIntervalsMs.activeSession) : 0;
    const drainUntil = targetFailed ? 0 : performance.now() + scenario.notifications.lossDeadline + grace;
    while (expectations.outstanding > 0 && performance.now() < drainUntil) await sleep(50);
    expectations.expireAll();
    const lost = Object.entries(expectations.lostByKey());
    if (lost.length > 0) log(`lost notifications: ${lost.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  }

  async function teardown(): Promise<void> {
    for (const t of chaosTimers) clearTimeout(t);
    scheduler.clear();
    for (const ch of chargers) ch.shutdown();
    for (const cu of customers) cu.close();
    for (const a of adversaries) a.close();
    for (const a of admins) a.close();
    await chaos?.restore().catch((error) => log(`chaos restore failed: ${(error as Error).message}`));
    await target?.close().catch((error) => log(`closing the target failed: ${(error as Error).message}`));
  }
}
