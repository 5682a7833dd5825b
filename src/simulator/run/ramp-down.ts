/** Ramp-down and drain: every open session ends and is acknowledged, chargers disconnect, expected notifications are awaited. */
import { performance } from 'node:perf_hooks';
import type { SimCharger } from '../charger.ts';
import type { RunState } from './state.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs the ramp-down and the drain; the phase moves to 'ramp-down', then 'draining'. */
export async function rampDown(run: RunState): Promise<void> {
  const { scenario, ctx, chargers, customers, admins, expectations, log } = run;
  run.phase = 'ramp-down';
  ctx.stopping = true;
  log('ramp-down: stopping sessions, then disconnecting chargers');
  for (const cu of customers) if (cu.current) void cu.stopSession();
  // Sessions end through the CSMS (RemoteStop) or at the charger. Every open transaction must get
  // its StopTransaction answered before its charger goes, so wait for all of them, online or not: a
  // charger that is offline now reconnects (with its backoff) and sends the stop then. Halfway, what
  // is still open and not asked to stop is stopped at the charger (the driver unplugs).
  // A dead CSMS answers nothing: no point waiting for it.
  // At least 15 s (a charger that went offline comes back with its backoff); longer when the scenario
  // gives notifications longer. The loop ends as soon as nothing is open, so only a real problem waits.
  const budget = run.targetFailed ? 0 : Math.max(15_000, scenario.notifications.lossDeadline + 5000);
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
  run.phase = 'draining';
  const grace = ctx.realtime === 'polling' ? (admins.length > 0 ? ctx.pollIntervalsMs.list : ctx.pollIntervalsMs.activeSession) : 0;
  const drainUntil = run.targetFailed ? 0 : performance.now() + scenario.notifications.lossDeadline + grace;
  while (expectations.outstanding > 0 && performance.now() < drainUntil) await sleep(50);
  expectations.expireAll();
  const lost = Object.entries(expectations.lostByKey());
  if (lost.length > 0) log(`lost notifications: ${lost.map(([k, n]) => `${k} ${n}`).join(', ')}`);
}
