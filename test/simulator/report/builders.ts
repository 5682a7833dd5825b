/** Hand-made MetricsSnapshot and RunResult values for the report and view tests. */
import type { LatencyStats, MetricsSnapshot, ReconcileSummary, RunResult, ThresholdState } from '../../../src/simulator/types.ts';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

export function aLatency(overrides: Partial<LatencyStats> = {}): LatencyStats {
  return { count: 1200, p50: 8.2, p95: 31, p99: 58, max: 140, mean: 11.4, ...overrides };
}

export function aThreshold(overrides: Partial<ThresholdState> = {}): ThresholdState {
  const t = { expression: 'ocpp.StartTransaction.p99 < 200ms', ok: true, value: 58, ...overrides };
  return { message: `${t.expression.split(/\s*[<>]/)[0]} = ${t.value} ms`, ...t };
}

/** A snapshot in the hold phase of a 50-charger run with every threshold holding. */
export function aSnapshot(overrides: DeepPartial<MetricsSnapshot> = {}): MetricsSnapshot {
  const base: MetricsSnapshot = {
    at: Date.parse('2025-05-01T10:00:30Z'),
    elapsedS: 30,
    phase: 'hold',
    target: { kind: 'embedded', httpUrl: 'http://127.0.0.1:40001', ocppUrl: 'ws://127.0.0.1:40002/ocpp', realtime: 'socket.io', cmsUrl: null },
    fleet: { total: 50, connecting: 0, available: 38, charging: 12, faulted: 0, offline: 0 },
    failovers: { total: 0, byCharger: {} },
    customers: { total: 40, connected: 40, realtime: 30, polling: 10, adversarial: 2, admins: 1 },
    rates: { ocppSent: 205, ocppReceived: 205, restRequests: 48, notifications: 96 },
    latency: {
      'ocpp.BootNotification': aLatency({ count: 50, p50: 4.1, p95: 9, p99: 12, max: 15 }),
      'ocpp.StartTransaction': aLatency({ count: 30, p50: 12, p95: 40, p99: 58, max: 70 }),
      'ocpp.MeterValues': aLatency({ count: 6000, p50: 3.2, p95: 7.5, p99: 11, max: 40 }),
      'ocpp.in.RemoteStartTransaction': aLatency({ count: 12, p50: 5, p95: 8, p99: 9, max: 9 }),
      'rest.GET /api/user/sessions/active': aLatency({ count: 900, p50: 2.1, p95: 4, p99: 6.5, max: 22 }),
      'notify.meter.values': aLatency({ count: 2800, p50: 6, p95: 10, p99: 12, max: 31 }),
      'notify.session.started': aLatency({ count: 12, p50: 9, p95: 15, p99: 17, max: 17 }),
    },
    thresholds: [
      aThreshold({ expression: 'ocpp.StartTransaction.p99 < 200ms', value: 58 }),
      aThreshold({ expression: 'notify.meter.values.p99 < 100ms', value: 12 }),
      aThreshold({ expression: 'isolation.leaks == 0', value: 0, message: 'isolation.leaks = 0, limit == 0' }),
    ],
    errors: { total: 0, unexpected: 0, top: [] },
    isolation: { leaks: 0, acceptedJoins: 40, refusedJoins: 6, recent: [] },
    reservations: { made: 0, refused: 0, expired: 0, used: 0, blocked: 0, taken: 0 },
    notifications: { expected: 2812, received: 2812, lost: 0 },
    generator: { eventLoopP99Ms: 14, cpuPct: 35, rssMb: 180, overloaded: false, reason: null },
    site: { powerMaxW: 0, stations: {} },
    loadmgmt: { rebalanceTimeouts: 0 },
    reconciliation: null,
  };
  return merge(base, overrides);
}

/** A finished run built around `final` (aSnapshot by default) with a 3-point timeline. */
export function aRunResult(overrides: Partial<RunResult> & { final?: MetricsSnapshot } = {}): RunResult {
  const final = overrides.final ?? aSnapshot({ phase: 'done', elapsedS: 60 });
  const thresholds = overrides.thresholds ?? final.thresholds;
  const failed = thresholds.some((t) => t.ok === false);
  const timeline = [10, 20, 30].map((t) => ({
    t,
    rates: final.rates,
    latency: Object.fromEntries(Object.entries(final.latency).map(([k, v]) => [k, { p50: v.p50 * (t / 30), p99: v.p99 * (t / 30) }])),
  }));
  const percentiles = Object.fromEntries(
    Object.entries(final.latency).map(([k, v]) => [k, [[0, v.p50 / 2], [50, v.p50], [90, v.p95 * 0.8], [95, v.p95], [99, v.p99], [99.9, v.max * 0.9], [100, v.max]] as [number, number][]]),
  );
  return {
    scenario: { name: 'smoke-50', file: 'scenarios/smoke-50.yaml', seed: 42 },
    startedAt: '2025-05-01T10:00:00.000Z',
    finishedAt: '2025-05-01T10:01:00.000Z',
    durationS: 60,
    timeline,
    percentiles,
    exitCode: failed ? 1 : 0,
    reason: failed ? 'a threshold failed' : 'all thresholds held',
    ...overrides,
    final,
    thresholds,
  };
}

function merge<T>(base: T, over: unknown): T {
  if (over === undefined) return base;
  if (typeof base !== 'object' || base === null || Array.isArray(base) || typeof over !== 'object' || over === null) return over as T;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) out[k] = merge((base as Record<string, unknown>)[k], v);
  return out as T;
}

/** A reconciliation that found one lost StopTransaction (with its finding). */
export function aReconciliation(overrides: Partial<ReconcileSummary> = {}): ReconcileSummary {
  return {
    ackedLost: 1,
    lost: { starts: 0, stops: 1, meterValues: 0 },
    sessionsStuck: 1,
    billingMismatches: 0,
    negativeBalances: 0,
    checked: { starts: 12, stops: 12, meterValues: 80, sessions: 12, wallets: 5 },
    unverifiable: 0,
    settledAfterMs: 30_000,
    findings: ['StopTransaction SIM-0003 tx 7 (meterStop 4200) was acknowledged, but the session is still active', 'session 7 on SIM-0003 is still active'],
    ...overrides,
  };
}
