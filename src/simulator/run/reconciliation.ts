/** The reconciliation phase: after the chargers are done, the run's ledger against the target's admin API. */
import { SCALAR_PATHS } from '../metric-names.ts';
import { reconcile } from '../reconcile.ts';
import type { RunState } from './state.ts';

/** Fills `run.reconciliation`; skipped when the target died, logged (not thrown) when it fails. */
export async function reconcileRun(run: RunState): Promise<void> {
  const { target, opts, log, ctx } = run;
  if (!target || run.targetFailed) return;
  run.phase = 'reconciling';
  // The full wait only when a threshold judges the reconciliation; otherwise its figures are informative.
  const judged = run.thresholds.some((t) => t.metric.kind === 'scalar' && t.metric.path in SCALAR_PATHS);
  const settleMs = opts.reconcileSettleMs ?? (opts.signal?.aborted ? 3000 : judged ? 30_000 : 5000);
  try {
    run.reconciliation = await reconcile({
      httpUrl: target.httpUrl,
      admin: target.admin,
      ledger: ctx.ledger,
      chargerIds: new Set(run.chargers.map((ch) => ch.id)),
      customers: run.customers.map((cu) => cu.account),
      since: run.startedAt.toISOString(),
      settleMs,
      log,
    });
    const r = run.reconciliation;
    log(`reconciliation: ${r.ackedLost} acked lost (${r.lost.stops} StopTransaction, ${r.lost.meterValues} MeterValues, ${r.lost.starts} StartTransaction), ${r.sessionsStuck} sessions stuck, ${r.billingMismatches} billing mismatches, ${r.negativeBalances} wallets below zero (checked ${r.checked.stops} stops, ${r.checked.meterValues} MeterValues, ${r.checked.sessions} sessions, ${r.checked.wallets} wallets)`);
    for (const line of r.findings.slice(0, 5)) log(`  ${line}`);
  } catch (error) {
    log(`reconciliation failed: ${(error as Error).message}`);
  }
}
