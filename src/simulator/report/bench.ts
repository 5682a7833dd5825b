/** The `ev-sim bench rest` report: one row per endpoint and mode (full answer vs If-None-Match). */
import { fit, formatMs } from './format.ts';

export interface BenchRow {
  /** `GET /api/user/sessions/active` */
  endpoint: string;
  /** Who asks: customer or admin. */
  caller: 'customer' | 'admin';
  /** true: each request carries the ETag from a first GET, so an unchanged answer is a 304. */
  conditional: boolean;
  requests: number;
  requestsPerS: number;
  p50: number;
  p99: number;
  /** Responses by status code, e.g. `{ "200": 1200, "304": 0 }`. */
  status: Record<string, number>;
  /** Connection errors and timeouts. */
  errors: number;
  bytesPerS: number;
}

export interface BenchResult {
  target: string;
  embedded: boolean;
  connections: number;
  /** Seconds per endpoint and mode. */
  runS: number;
  startedAt: string;
  rows: BenchRow[];
}

/** A table of req/s, p50, p99 and 200/304 counts, then what the ETags saved per endpoint. */
export function renderBenchSummary(result: BenchResult): string {
  const out = [
    `ev-sim bench rest: ${result.target}${result.embedded ? ' (embedded)' : ''}, ${result.connections} connections, ${result.runS.toFixed(1)} s per row`,
    '',
    `${fit('endpoint', 34)}${fit('mode', 15)}${['req/s', 'p50', 'p99', '200', '304', 'other', 'KB/s'].map((h) => fit(h, 9, 'right')).join('')}`,
  ];
  for (const r of result.rows) {
    const other = Object.entries(r.status).reduce((n, [code, count]) => (code === '200' || code === '304' ? n : n + count), 0) + r.errors;
    const cells = [String(Math.round(r.requestsPerS)), formatMs(r.p50), formatMs(r.p99), String(r.status['200'] ?? 0), String(r.status['304'] ?? 0), String(other), String(Math.round(r.bytesPerS / 1024))];
    out.push(`${fit(r.endpoint, 34)}${fit(r.conditional ? 'If-None-Match' : 'full', 15)}${cells.map((c) => fit(c, 9, 'right')).join('')}`);
  }
  const savings = etagSavings(result.rows);
  if (savings.length > 0) {
    out.push('', 'What the ETags save (If-None-Match vs full):');
    for (const s of savings) {
      out.push(`  ${fit(s.endpoint, 34)}${s.speedup.toFixed(1)}× req/s, p99 ${formatMs(s.fullP99)} → ${formatMs(s.conditionalP99)}, ${Math.round(s.bytesSavedPct)}% fewer bytes per request`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** Per endpoint: throughput ratio, p99 before/after and bytes saved per request. */
export function etagSavings(rows: BenchRow[]): { endpoint: string; speedup: number; fullP99: number; conditionalP99: number; bytesSavedPct: number }[] {
  const out = [];
  for (const full of rows.filter((r) => !r.conditional)) {
    const cond = rows.find((r) => r.conditional && r.endpoint === full.endpoint);
    if (!cond || full.requestsPerS === 0 || full.bytesPerS === 0) continue;
    const perReq = (r: BenchRow) => (r.requestsPerS > 0 ? r.bytesPerS / r.requestsPerS : 0);
    out.push({
      endpoint: full.endpoint,
      speedup: cond.requestsPerS / full.requestsPerS,
      fullP99: full.p99,
      conditionalP99: cond.p99,
      bytesSavedPct: 100 * (1 - perReq(cond) / perReq(full)),
    });
  }
  return out;
}
