/** The plain-text summary printed on stdout at the end of a run. */
import type { MetricsSnapshot, ReconcileSummary, RunResult } from '../types.ts';
import { countThresholds, fit, formatDuration, formatMs, formatRate, rateStats, sortedLatency, thresholdMark } from './format.ts';

/** Latency rows shown in the terminal; the HTML report has all of them. */
const MAX_LATENCY_ROWS = 24;

const VERDICT: Record<RunResult['exitCode'], string> = {
  0: 'PASSED',
  1: 'FAILED',
  2: 'INVALID SCENARIO',
  3: 'INCONCLUSIVE (generator or infrastructure)',
};

/** Verdict, thresholds with ✓/✗ and values, key latencies, fleet, isolation, notifications, errors, generator. */
export function renderSummary(result: RunResult): string {
  const f = result.final;
  const out: string[] = [];
  out.push(`ev-sim ${result.scenario.name}: ${VERDICT[result.exitCode]} (exit ${result.exitCode}: ${result.reason})`);
  out.push(`  ${formatDuration(result.durationS)}, seed ${result.scenario.seed}, target ${f.target.kind} ${f.target.httpUrl} (${f.target.realtime})`);
  out.push('');

  const counts = countThresholds(result.thresholds);
  out.push(`Thresholds  ${counts.ok}/${counts.total} held${counts.failed ? `, ${counts.failed} failed` : ''}${counts.pending ? `, ${counts.pending} without data` : ''}`);
  const exprWidth = Math.min(48, Math.max(10, ...result.thresholds.map((t) => t.expression.length)));
  for (const t of result.thresholds) out.push(`  ${thresholdMark(t)} ${fit(t.expression, exprWidth)}  ${t.message}`);
  if (result.thresholds.length === 0) out.push('  (none declared)');
  out.push('');

  const rows = sortedLatency(f.latency);
  if (rows.length > 0) {
    const keyWidth = Math.min(44, Math.max(8, ...rows.map(([k]) => k.length)));
    out.push(`${fit('Latency', keyWidth + 2)}${['count', 'p50', 'p95', 'p99', 'max'].map((h) => fit(h, 9, 'right')).join('')}`);
    for (const [key, s] of rows.slice(0, MAX_LATENCY_ROWS)) {
      out.push(`  ${fit(key, keyWidth)}${[String(s.count), formatMs(s.p50), formatMs(s.p95), formatMs(s.p99), formatMs(s.max)].map((v) => fit(v, 9, 'right')).join('')}`);
    }
    if (rows.length > MAX_LATENCY_ROWS) out.push(`  … ${rows.length - MAX_LATENCY_ROWS} more in report.html`);
    out.push('');
  }

  const fl = f.fleet;
  out.push(`Fleet          ${fl.total} chargers: ${fl.available} available, ${fl.charging} charging, ${fl.faulted} faulted, ${fl.offline} offline, ${fl.connecting} connecting`);
  if (f.failovers.total > 0) out.push(`Failovers      ${failoverLine(f.failovers)}`);
  if (f.firmware) out.push(`Firmware       ${f.firmware.installed} installed, ${f.firmware.failed} failed of ${f.firmware.targeted}; ${f.firmware.durationMs === null ? 'not finished' : `all ended after ${(f.firmware.durationMs / 1000).toFixed(1)} s`}`);
  if (f.site.powerMaxW > 0) out.push(`Site power     ${siteLine(f.site, f.loadmgmt)}`);
  out.push(`Customers      ${f.customers.total} (${f.customers.realtime} realtime, ${f.customers.polling} polling, ${f.customers.adversarial} adversarial, ${f.customers.admins} admins)`);
  out.push(`Notifications  expected ${f.notifications.expected}, received ${f.notifications.received}, lost ${f.notifications.lost}`);
  out.push(`Isolation      ${f.isolation.leaks === 0 ? 'no leaks' : `${f.isolation.leaks} LEAKS`}; room joins accepted ${f.isolation.acceptedJoins}, refused ${f.isolation.refusedJoins}`);
  const top = f.errors.top.slice(0, 5).map((e) => `${e.key} ×${e.count}`).join(', ');
  out.push(`Errors         ${f.errors.total} (${f.errors.unexpected} unexpected)${top ? `: ${top}` : ''}`);
  out.push(...reconciliationLines(f.reconciliation));
  const g = f.generator;
  out.push(`Generator      loop p99 ${formatMs(g.eventLoopP99Ms)}, CPU ${Math.round(g.cpuPct)}%, RSS ${Math.round(g.rssMb)} MB${g.overloaded ? `  OVERLOADED${g.reason ? `: ${g.reason}` : ''}` : ''}`);
  const r = rateStats(result.timeline);
  const rate = (k: keyof typeof r) => `${formatRate(r[k].mean)}/s (peak ${formatRate(r[k].peak)})`;
  out.push(`Rates (mean)   ocpp out ${rate('ocppSent')}, in ${rate('ocppReceived')}; rest ${rate('restRequests')}; notifications ${rate('notifications')}`);
  return `${out.join('\n')}\n`;
}

/** What the CSMS acknowledged against what it shows at the end, with the first findings. */
function reconciliationLines(r: ReconcileSummary | null): string[] {
  if (!r) return ['Reconciliation not run (the target could not be read at the end)'];
  const c = r.checked;
  const lines = [
    `Reconciliation ocpp.acked_lost ${r.ackedLost}, sessions.stuck ${r.sessionsStuck}, billing.mismatches ${r.billingMismatches}, billing.negative_balances ${r.negativeBalances} (checked ${c.stops} stops, ${c.meterValues} MeterValues, ${c.sessions} sessions, ${c.wallets} wallets${r.unverifiable ? `; ${r.unverifiable} meter timestamps too old to verify` : ''}; after ${formatDuration(r.settledAfterMs / 1000)})`,
  ];
  for (const line of r.findings.slice(0, 5)) lines.push(`               ${line}`);
  if (r.findings.length > 5) lines.push(`               … ${r.findings.length - 5} more in report.json`);
  return lines;
}

const kw = (w: number): string => `${(w / 1000).toFixed(1)} kW`;

/** `max 11.0 kW (Depot 11.0 kW of 11.0 kW, Office 3.0 kW); 2 starts without a TxProfile within 30 s`: the busiest stations first, with their grid limits. */
export function siteLine(site: MetricsSnapshot['site'], loadmgmt: MetricsSnapshot['loadmgmt']): string {
  const stations = Object.entries(site.stations).sort((a, b) => b[1].powerMaxW - a[1].powerMaxW || a[0].localeCompare(b[0]));
  const shown = stations.slice(0, 5).map(([name, s]) => `${name} ${kw(s.powerMaxW)}${s.gridLimitW !== undefined ? ` of ${kw(s.gridLimitW)}` : ''}`).join(', ');
  const missed = loadmgmt.rebalanceTimeouts > 0 ? `; ${loadmgmt.rebalanceTimeouts} start${loadmgmt.rebalanceTimeouts === 1 ? '' : 's'} without a TxProfile within 30 s` : '';
  return `max ${kw(site.powerMaxW)} (${shown}${stations.length > 5 ? ', …' : ''})${missed}`;
}

/** `3 (2 chargers: SIM-0001 2, SIM-0002 1)`: the first few chargers by count. */
export function failoverLine(failovers: MetricsSnapshot['failovers']): string {
  const byCharger = Object.entries(failovers.byCharger).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const shown = byCharger.slice(0, 5).map(([id, n]) => `${id} ${n}`).join(', ');
  return `${failovers.total} (${byCharger.length} charger${byCharger.length === 1 ? '' : 's'}: ${shown}${byCharger.length > 5 ? ', …' : ''})`;
}
