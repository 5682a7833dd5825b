/**
 * Thresholds: `<metric> <op> <number>[unit]`, e.g. `ocpp.StartTransaction.p99 < 200ms`,
 * `isolation.leaks == 0`, `rest.POST /api/user/charging/start.p95 < 300ms`, `site.power.max <= 11000` (W).
 * Parsed (and the metric checked against metric-names.ts) when the scenario loads.
 */
import type { MetricsSnapshot, ThresholdState } from './types.ts';
import { isLatencyKey, LATENCY_STATS, SCALAR_METRICS, SCALAR_PATHS, type LatencyStat } from './metric-names.ts';

export type ThresholdOp = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface Threshold {
  expression: string;
  /** `latency`: key + stat of the latency map; `scalar`: a dotted path into the snapshot. */
  metric: { kind: 'latency'; key: string; stat: LatencyStat } | { kind: 'scalar'; path: string };
  op: ThresholdOp;
  /** In the metric's unit (ms for latencies). */
  limit: number;
  unit: string;
}

const PATTERN = /^\s*(.+?)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*(ms|s)?\s*$/;

/** Parses one expression; `error` names what is wrong in one line. */
export function parseThreshold(expression: string): { ok: true; threshold: Threshold } | { ok: false; error: string } {
  const m = PATTERN.exec(expression);
  if (!m) return { ok: false, error: `"${expression}" is not "<metric> <op> <number>[ms|s]" (op one of < <= > >= == !=)` };
  const [, path, op, num, unit] = m;
  let limit = Number(num);
  const dot = path.lastIndexOf('.');
  const stat = path.slice(dot + 1);
  const key = path.slice(0, dot);
  if (dot > 0 && (LATENCY_STATS as readonly string[]).includes(stat) && isLatencyKey(key)) {
    if (stat === 'count' && unit) return { ok: false, error: `"${path}" is a count: no unit` };
    if (unit === 's') limit *= 1000;
    return { ok: true, threshold: { expression, metric: { kind: 'latency', key, stat: stat as LatencyStat }, op: op as ThresholdOp, limit, unit: stat === 'count' ? '' : 'ms' } };
  }
  const scalar = SCALAR_METRICS[path];
  if (scalar) {
    if (unit && scalar !== 'ms') return { ok: false, error: `"${path}" is not a time: no unit` };
    if (unit === 's') limit *= 1000;
    return { ok: true, threshold: { expression, metric: { kind: 'scalar', path }, op: op as ThresholdOp, limit, unit: scalar === 'count' ? '' : scalar === 'pct' ? '%' : scalar === 'mb' ? 'MB' : scalar === 'w' ? 'W' : 'ms' } };
  }
  if (isLatencyKey(path)) return { ok: false, error: `"${path}" needs a statistic: .${LATENCY_STATS.join(', .')}` };
  if (dot > 0 && isLatencyKey(key)) return { ok: false, error: `unknown statistic "${stat}" (use ${LATENCY_STATS.join(', ')})` };
  return {
    ok: false,
    error: `unknown metric "${path}": use ocpp.<Action>.<stat>, ocpp.in.<Action>.<stat>, rest.<METHOD> <route>.<stat>, notify.<type>.<stat>, loadmgmt.rebalance.<stat> or one of ${Object.keys(SCALAR_METRICS).join(', ')}`,
  };
}

/**
 * True for a limit on a duration (a latency statistic, the event-loop delay): it judges the machine as
 * much as the CSMS, so `npm test` runs the shipped scenarios without these and `ev-sim run` keeps them.
 */
export function isTimeThreshold(t: Threshold): boolean {
  return t.unit === 'ms';
}

function compare(value: number, op: ThresholdOp, limit: number): boolean {
  switch (op) {
    case '<': return value < limit;
    case '<=': return value <= limit;
    case '>': return value > limit;
    case '>=': return value >= limit;
    case '==': return value === limit;
    case '!=': return value !== limit;
  }
}

function valueOf(t: Threshold, s: MetricsSnapshot): number | null {
  if (t.metric.kind === 'latency') {
    const stats = s.latency[t.metric.key];
    if (t.metric.stat === 'count') return stats?.count ?? 0;
    if (!stats || stats.count === 0) return null;
    return stats[t.metric.stat];
  }
  let v: unknown = s;
  for (const part of (SCALAR_PATHS[t.metric.path] ?? t.metric.path).split('.')) v = (v as Record<string, unknown> | undefined)?.[part];
  return typeof v === 'number' ? v : null;
}

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : v < 10 ? v.toFixed(3) : v.toFixed(1));

/**
 * Judges each threshold against a snapshot. With `final`, a threshold without data fails
 * (a latency never measured cannot be said to have held); before that it is `ok: null`.
 */
export function evaluateThresholds(thresholds: readonly Threshold[], snapshot: MetricsSnapshot, opts: { final?: boolean } = {}): ThresholdState[] {
  return thresholds.map((t) => {
    const value = valueOf(t, snapshot);
    const name = t.metric.kind === 'latency' ? `${t.metric.key}.${t.metric.stat}` : t.metric.path;
    const unit = t.unit ? ` ${t.unit}` : '';
    if (value === null) {
      return { expression: t.expression, ok: opts.final ? false : null, value: null, message: `${name}: no data, limit ${t.op} ${fmt(t.limit)}${unit}` };
    }
    const ok = compare(value, t.op, t.limit);
    return { expression: t.expression, ok, value, message: `${name} = ${fmt(value)}${unit}, limit ${t.op} ${fmt(t.limit)}${unit}` };
  });
}
