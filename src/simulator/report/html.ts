/**
 * report.html: one self-contained file (inline CSS, inline SVG, no script, no external reference),
 * so it can be attached to a CI run and opened anywhere, offline.
 */
import type { LatencyStats, RunResult } from '../types.ts';
import { countThresholds, formatDuration, formatMs, formatRate, latencyGroup, rateStats, sortedLatency, thresholdMark } from './format.ts';
import { PALETTE, lineChart, type Series } from './svg.ts';
import { escapeHtml as h } from './xml.ts';

/** Lines per chart: more than this and nobody can tell them apart. */
const MAX_KEYS_PER_CHART = 8;

const GROUPS = [
  { id: 'ocpp', title: 'OCPP, charger → CSMS' },
  { id: 'ocpp.in', title: 'OCPP commands, CSMS → charger' },
  { id: 'rest', title: 'REST routes' },
  { id: 'notify', title: 'Notifications, end to end' },
] as const;

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d1d1f;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}h3{font-size:14px;margin:16px 0 4px}
.badge{display:inline-block;padding:2px 10px;border-radius:12px;color:#fff;font-weight:600;font-size:13px;vertical-align:middle}
.pass{background:#1a7f37}.fail{background:#cf222e}.warn{background:#9a6700}
.meta,.muted{color:#57606a}
table{border-collapse:collapse;width:100%;background:#fff;margin:4px 0 8px}
th,td{border-bottom:1px solid #e3e6ea;padding:4px 8px;text-align:left}
th{background:#eef1f4;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.ok{color:#1a7f37;font-weight:700}td.bad{color:#cf222e;font-weight:700}td.pending{color:#9a6700}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:10px}
.card{background:#fff;border:1px solid #e3e6ea;border-radius:6px;padding:10px 12px}
.card b{display:block;font-size:20px}.card b.bad{color:#cf222e}
.chart{background:#fff;border:1px solid #e3e6ea;border-radius:6px;max-width:100%;height:auto}
.chart .grid{stroke:#eceff2}.chart .frame{fill:none;stroke:#c9ced4}
.chart .tick{font-size:10px;fill:#57606a}.chart .axis{font-size:11px;fill:#57606a}.chart .chart-title{font-size:12px;font-weight:600;fill:#1d1d1f}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px;margin:2px 0 14px}
.legend i{display:inline-block;width:18px;height:0;border-top:2px solid;vertical-align:middle;margin-right:4px}
.legend i.dashed{border-top-style:dashed}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
`;

/** Renders the whole report as one HTML document. */
export function renderHtml(result: RunResult): string {
  const f = result.final;
  const verdict = result.exitCode === 0 ? ['pass', 'PASSED'] : result.exitCode === 1 ? ['fail', 'FAILED'] : ['warn', result.exitCode === 2 ? 'INVALID' : 'INCONCLUSIVE'];
  const colors = colorMap(Object.keys(f.latency));
  const body = [
    `<h1>ev-sim: ${h(result.scenario.name)} <span class="badge ${verdict[0]}">${verdict[1]}</span></h1>`,
    `<p class="meta">exit ${result.exitCode}: ${h(result.reason)}<br>${h(result.startedAt)} → ${h(result.finishedAt)} (${formatDuration(result.durationS)}), seed ${result.scenario.seed}${result.scenario.file ? `, <code>${h(result.scenario.file)}</code>` : ''}<br>target: ${h(f.target.kind)} <code>${h(f.target.httpUrl)}</code> <code>${h(f.target.ocppUrl)}</code>, realtime ${h(f.target.realtime)}</p>`,
    thresholdsSection(result),
    summaryCards(result),
    `<h2>Rates</h2>${ratesChart(result)}`,
    latencySections(result, colors),
    reconciliationSection(result),
    isolationSection(result),
    errorsSection(result),
  ].join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ev-sim report: ${h(result.scenario.name)}</title>
<style>${CSS}</style>
</head>
<body><main>
${body}
</main></body>
</html>
`;
}

function thresholdsSection(result: RunResult): string {
  const c = countThresholds(result.thresholds);
  const rows = result.thresholds
    .map((t) => {
      const cls = t.ok === true ? 'ok' : t.ok === false ? 'bad' : 'pending';
      return `<tr><td class="${cls}">${thresholdMark(t)}</td><td><code>${h(t.expression)}</code></td><td class="num">${t.value === null ? '–' : h(round(t.value))}</td><td>${h(t.message)}</td></tr>`;
    })
    .join('');
  return `<h2>Thresholds: ${c.ok}/${c.total} held</h2>${
    c.total === 0 ? '<p class="muted">none declared</p>' : `<table><thead><tr><th></th><th>threshold</th><th class="num">value</th><th>detail</th></tr></thead><tbody>${rows}</tbody></table>`
  }`;
}

function summaryCards(result: RunResult): string {
  const f = result.final;
  const card = (title: string, main: string, detail: string) => `<div class="card">${h(title)}<b>${h(main)}</b><span class="muted">${h(detail)}</span></div>`;
  const g = f.generator;
  return `<h2>Fleet and customers</h2><div class="cards">${[
    card('chargers', String(f.fleet.total), `${f.fleet.available} available, ${f.fleet.charging} charging, ${f.fleet.faulted} faulted, ${f.fleet.offline} offline, ${f.fleet.connecting} connecting${f.failovers.total > 0 ? `; ${f.failovers.total} failover(s)` : ''}`),
    card('customers', String(f.customers.total), `${f.customers.realtime} realtime, ${f.customers.polling} polling, ${f.customers.adversarial} adversarial, ${f.customers.admins} admins`),
    card('notifications lost', String(f.notifications.lost), `expected ${f.notifications.expected}, received ${f.notifications.received}`),
    card('isolation leaks', String(f.isolation.leaks), `joins accepted ${f.isolation.acceptedJoins}, refused ${f.isolation.refusedJoins}`),
    card('errors', String(f.errors.total), `${f.errors.unexpected} unexpected`),
    card('generator', g.overloaded ? 'OVERLOADED' : 'healthy', `loop p99 ${formatMs(g.eventLoopP99Ms)}, CPU ${Math.round(g.cpuPct)}%, RSS ${Math.round(g.rssMb)} MB${g.reason ? `, ${g.reason}` : ''}`),
  ].join('')}</div>`;
}

function ratesChart(result: RunResult): string {
  const keys = [
    ['ocppSent', 'OCPP sent/s'],
    ['ocppReceived', 'OCPP received/s'],
    ['restRequests', 'REST requests/s'],
    ['notifications', 'notifications/s'],
  ] as const;
  const series: Series[] = keys.map(([k, name], i) => ({ name, color: PALETTE[i], points: result.timeline.map((p) => [p.t, p.rates[k]]) }));
  const stats = rateStats(result.timeline);
  const cells = keys.map(([k, name]) => `<tr><td>${h(name)}</td><td class="num">${formatRate(stats[k].mean)}</td><td class="num">${formatRate(stats[k].peak)}</td></tr>`).join('');
  return `${chartWithLegend(series, { title: 'Throughput over time', xLabel: 'elapsed s', yLabel: 'per second' })}<table><thead><tr><th>rate</th><th class="num">mean</th><th class="num">peak</th></tr></thead><tbody>${cells}</tbody></table>`;
}

function latencySections(result: RunResult, colors: Map<string, string>): string {
  const out: string[] = ['<h2>Latency</h2>'];
  const byGroup = new Map<string, [string, LatencyStats][]>();
  for (const entry of sortedLatency(result.final.latency)) {
    const g = latencyGroup(entry[0]);
    byGroup.set(g, [...(byGroup.get(g) ?? []), entry]);
  }
  for (const group of [...GROUPS, { id: 'other', title: 'Other' } as const]) {
    const entries = byGroup.get(group.id);
    if (!entries) continue;
    out.push(`<h3>${h(group.title)}</h3>${latencyTable(entries)}`);
    // The slowest keys are the ones worth a line each.
    const charted = [...entries].sort((a, b) => b[1].p99 - a[1].p99).slice(0, MAX_KEYS_PER_CHART).map(([k]) => k);
    const overTime: Series[] = charted.flatMap((key) => [
      { name: `${key} p99`, color: colors.get(key)!, points: result.timeline.flatMap((p) => (p.latency[key] ? [[p.t, p.latency[key].p99] as [number, number]] : [])) },
      { name: `${key} p50`, color: colors.get(key)!, dashed: true, points: result.timeline.flatMap((p) => (p.latency[key] ? [[p.t, p.latency[key].p50] as [number, number]] : [])) },
    ]);
    out.push(chartWithLegend(overTime, { title: `${group.title}: p99 (solid) and p50 (dashed) over time`, xLabel: 'elapsed s', yLabel: 'ms' }, true));
    const dist: Series[] = charted.map((key) => ({ name: key, color: colors.get(key)!, points: asPercent(result.percentiles[key] ?? []) }));
    out.push(chartWithLegend(dist, { title: `${group.title}: latency by percentile`, xLabel: 'percentile', yLabel: 'ms', xScale: 'nines' }));
    if (entries.length > charted.length) out.push(`<p class="muted">charts show the ${charted.length} slowest of ${entries.length} keys; the table has all.</p>`);
  }
  if (byGroup.size === 0) out.push('<p class="muted">no latency measured</p>');
  return out.join('\n');
}

function latencyTable(entries: [string, LatencyStats][]): string {
  const rows = entries
    .map(([k, s]) => `<tr><td><code>${h(k)}</code></td><td class="num">${s.count}</td>${[s.p50, s.p95, s.p99, s.max, s.mean].map((v) => `<td class="num">${formatMs(v)}</td>`).join('')}</tr>`)
    .join('');
  return `<table><thead><tr><th>key</th><th class="num">count</th><th class="num">p50</th><th class="num">p95</th><th class="num">p99</th><th class="num">max</th><th class="num">mean</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function reconciliationSection(result: RunResult): string {
  const r = result.final.reconciliation;
  if (!r) return '<h2>Reconciliation</h2><p class="muted">not run: the target could not be read at the end of the run</p>';
  const card = (name: string, value: number, detail: string) => `<div class="card"><code>${h(name)}</code><b class="${value === 0 ? '' : 'bad'}">${value}</b><span class="muted">${h(detail)}</span></div>`;
  const c = r.checked;
  const findings = r.findings.map((f) => `<li>${h(f)}</li>`).join('');
  return `<h2>Reconciliation</h2><p class="muted">What the CSMS acknowledged, checked against its admin API after ${formatDuration(r.settledAfterMs / 1000)}: ${c.starts} starts, ${c.stops} stops, ${c.meterValues} MeterValues, ${c.sessions} sessions, ${c.wallets} wallets${r.unverifiable ? `; ${r.unverifiable} meter timestamps too old to verify` : ''}.</p><div class="cards">${[
    card('ocpp.acked_lost', r.ackedLost, 'acknowledged, then missing'),
    card('sessions.stuck', r.sessionsStuck, 'still active at the end'),
    card('billing.mismatches', r.billingMismatches, 'cost, debits or balance off'),
    card('billing.negative_balances', r.negativeBalances, 'wallets below zero'),
  ].join('')}</div>${findings ? `<ul>${findings}</ul>` : ''}`;
}

function isolationSection(result: RunResult): string {
  const iso = result.final.isolation;
  const rows = iso.recent
    .map((l) => `<tr><td>${h(new Date(l.at).toISOString())}</td><td class="num">${l.customerId}</td><td><code>${h(l.type)}</code></td><td><code>${h(JSON.stringify(l.ids))}</code></td></tr>`)
    .join('');
  const verdict = iso.leaks === 0 ? '<p>No customer received another customer\'s data.</p>' : `<p><b>${iso.leaks} leak(s)</b>: customers received notifications that were not theirs.</p>`;
  return `<h2>Isolation</h2>${verdict}<p class="muted">room joins accepted ${iso.acceptedJoins}, refused ${iso.refusedJoins}; notifications expected ${result.final.notifications.expected}, received ${result.final.notifications.received}, lost ${result.final.notifications.lost}</p>${
    rows ? `<table><thead><tr><th>at</th><th class="num">customer</th><th>type</th><th>foreign ids</th></tr></thead><tbody>${rows}</tbody></table>` : ''
  }`;
}

function errorsSection(result: RunResult): string {
  const e = result.final.errors;
  const rows = e.top.map((x) => `<tr><td><code>${h(x.key)}</code></td><td class="num">${x.count}</td></tr>`).join('');
  return `<h2>Errors: ${e.total} (${e.unexpected} unexpected)</h2>${rows ? `<table><thead><tr><th>error</th><th class="num">count</th></tr></thead><tbody>${rows}</tbody></table>` : '<p class="muted">none</p>'}`;
}

function chartWithLegend(series: Series[], opts: Parameters<typeof lineChart>[1], pairLegend = false): string {
  // With p50/p99 pairs the legend names each key once; the line style is explained in the title.
  const shown = pairLegend ? series.filter((s) => !s.dashed).map((s) => ({ ...s, name: s.name.replace(/ p99$/, '') })) : series;
  const legend = shown.map((s) => `<span><i style="border-color:${s.color}"${s.dashed ? ' class="dashed"' : ''}></i>${h(s.name)}</span>`).join('');
  return `${lineChart(series, opts)}<div class="legend">${legend}</div>`;
}

function colorMap(keys: string[]): Map<string, string> {
  const map = new Map<string, string>();
  const perGroup = new Map<string, number>();
  for (const key of [...keys].sort()) {
    const g = latencyGroup(key);
    const i = perGroup.get(g) ?? 0;
    perGroup.set(g, i + 1);
    map.set(key, PALETTE[i % PALETTE.length]);
  }
  return map;
}

/** Percentiles may come as fractions (0.99) or percents (99); the chart wants percents. */
function asPercent(curve: [number, number][]): [number, number][] {
  const fractions = curve.length > 0 && curve.every(([p]) => p <= 1);
  return fractions ? curve.map(([p, v]) => [p * 100, v]) : curve;
}

function round(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 10 ? 2 : 1);
}
