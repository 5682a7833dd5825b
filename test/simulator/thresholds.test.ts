import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/simulator/scenario/loader.ts';
import { evaluateThresholds, isTimeThreshold, parseThreshold, type Threshold } from '../../src/simulator/thresholds.ts';
import type { MetricsSnapshot } from '../../src/simulator/types.ts';
import { shippedScenario } from '../scenarios/shipped.ts';

function parsed(text: string): Threshold {
  const r = parseThreshold(text);
  if (!r.ok) throw new Error(r.error);
  return r.threshold;
}

function aSnapshot(overrides: Partial<MetricsSnapshot> = {}): MetricsSnapshot {
  return {
    at: 0, elapsedS: 1, phase: 'hold',
    target: { kind: 'embedded', httpUrl: '', ocppUrl: '', realtime: 'polling', cmsUrl: null },
    fleet: { total: 0, connecting: 0, available: 0, charging: 0, faulted: 0, offline: 0 },
    customers: { total: 0, connected: 0, realtime: 0, polling: 0, adversarial: 0, admins: 0 },
    rates: { ocppSent: 0, ocppReceived: 0, restRequests: 0, notifications: 0 },
    latency: {},
    thresholds: [],
    errors: { total: 0, unexpected: 0, top: [] },
    isolation: { leaks: 0, acceptedJoins: 0, refusedJoins: 0, recent: [] },
    reservations: { made: 0, refused: 0, expired: 0, used: 0, blocked: 0, taken: 0 },
    failovers: { total: 0, byCharger: {} },
    notifications: { expected: 0, received: 0, lost: 0 },
    generator: { eventLoopP99Ms: 0, cpuPct: 0, rssMb: 0, overloaded: false, reason: null },
    site: { powerMaxW: 0, stations: {} },
    loadmgmt: { rebalanceTimeouts: 0 },
    reconciliation: null,
    ...overrides,
  };
}

describe('threshold parser', () => {
  it('reads latency, REST route and scalar thresholds with units', () => {
    expect(parsed('ocpp.StartTransaction.p99 < 200ms')).toMatchObject({ metric: { kind: 'latency', key: 'ocpp.StartTransaction', stat: 'p99' }, op: '<', limit: 200 });
    expect(parsed('rest.POST /api/user/charging/start.p95 <= 0.3s')).toMatchObject({ metric: { key: 'rest.POST /api/user/charging/start', stat: 'p95' }, op: '<=', limit: 300 });
    expect(parsed('notify.meter.values.p99<50ms')).toMatchObject({ metric: { key: 'notify.meter.values', stat: 'p99' }, limit: 50 });
    expect(parsed('ocpp.in.RemoteStartTransaction.max < 5')).toMatchObject({ metric: { key: 'ocpp.in.RemoteStartTransaction', stat: 'max' }, limit: 5 });
    expect(parsed('isolation.leaks == 0')).toMatchObject({ metric: { kind: 'scalar', path: 'isolation.leaks' }, op: '==', limit: 0 });
    expect(parsed('notifications.lost != 3')).toMatchObject({ op: '!=', limit: 3 });
  });

  it('refuses unknown metrics, missing statistics, units on counts and bad syntax', () => {
    expect(parseThreshold('ocpp.Foo.p99 < 1ms')).toMatchObject({ ok: false, error: expect.stringMatching(/unknown metric/) });
    expect(parseThreshold('ocpp.StartTransaction < 1ms')).toMatchObject({ ok: false, error: expect.stringMatching(/needs a statistic/) });
    expect(parseThreshold('ocpp.StartTransaction.p42 < 1ms')).toMatchObject({ ok: false, error: expect.stringMatching(/unknown statistic/) });
    expect(parseThreshold('isolation.leaks == 0ms')).toMatchObject({ ok: false });
    expect(parseThreshold('isolation.leaks = 0')).toMatchObject({ ok: false, error: expect.stringMatching(/not "<metric> <op>/) });
  });
});

describe('threshold evaluator', () => {
  const stats = { count: 10, p50: 5, p95: 150, p99: 231, max: 300, mean: 20 };

  it('judges against the snapshot and says why in one line', () => {
    const [fail, pass, leaks] = evaluateThresholds(
      [parsed('ocpp.StartTransaction.p99 < 200ms'), parsed('ocpp.StartTransaction.p95 < 200ms'), parsed('isolation.leaks == 0')],
      aSnapshot({ latency: { 'ocpp.StartTransaction': stats }, isolation: { leaks: 2, acceptedJoins: 0, refusedJoins: 0, recent: [] } }),
    );
    expect(fail).toEqual({ expression: 'ocpp.StartTransaction.p99 < 200ms', ok: false, value: 231, message: 'ocpp.StartTransaction.p99 = 231 ms, limit < 200 ms' });
    expect(pass.ok).toBe(true);
    expect(leaks).toMatchObject({ ok: false, value: 2 });
  });

  it('says "no data" (null) during the run, and fails it at the end', () => {
    const t = [parsed('notify.meter.values.p99 < 50ms')];
    expect(evaluateThresholds(t, aSnapshot())[0]).toMatchObject({ ok: null, value: null });
    expect(evaluateThresholds(t, aSnapshot(), { final: true })[0]).toMatchObject({ ok: false, message: expect.stringMatching(/no data/) });
  });
});

describe('reconciliation thresholds', () => {
  const summary = { ackedLost: 2, lost: { starts: 0, stops: 1, meterValues: 1 }, sessionsStuck: 0, billingMismatches: 1, negativeBalances: 3, checked: { starts: 4, stops: 4, meterValues: 9, sessions: 4, wallets: 2 }, unverifiable: 0, settledAfterMs: 10, findings: [] };

  it('parses ocpp.acked_lost, sessions.stuck and billing.mismatches and judges them from the reconciliation', () => {
    const t = ['ocpp.acked_lost == 0', 'sessions.stuck == 0', 'billing.mismatches < 1', 'billing.negative_balances == 0'].map(parsed);
    expect(t[0]).toMatchObject({ metric: { kind: 'scalar', path: 'ocpp.acked_lost' }, unit: '' });
    const judged = evaluateThresholds(t, aSnapshot({ reconciliation: summary }), { final: true });
    expect(judged.map((j) => [j.ok, j.value])).toEqual([[false, 2], [true, 0], [false, 1], [false, 3]]);
    expect(judged[0].message).toBe('ocpp.acked_lost = 2, limit == 0');
  });

  it('has no data before the reconciliation ran, and fails at the end without one', () => {
    const t = [parsed('ocpp.acked_lost == 0')];
    expect(evaluateThresholds(t, aSnapshot())[0]).toMatchObject({ ok: null });
    expect(evaluateThresholds(t, aSnapshot(), { final: true })[0]).toMatchObject({ ok: false, message: expect.stringMatching(/no data/) });
  });
});

describe('smart charging thresholds', () => {
  it('judges site.power.max in W from the busiest station, and loadmgmt.rebalance and its timeouts', () => {
    const t = ['site.power.max <= 11000', 'loadmgmt.rebalance.p99 < 2s', 'loadmgmt.rebalance_timeouts == 0'].map(parsed);
    expect(t[0]).toMatchObject({ metric: { kind: 'scalar', path: 'site.power.max' }, op: '<=', limit: 11_000, unit: 'W' });
    expect(t[1]).toMatchObject({ metric: { kind: 'latency', key: 'loadmgmt.rebalance', stat: 'p99' }, limit: 2000 });
    const site = { powerMaxW: 11_040, stations: { Depot: { powerW: 9000, powerMaxW: 11_040 }, Office: { powerW: 0, powerMaxW: 3000 } } };
    const judged = evaluateThresholds(t, aSnapshot({
      site, loadmgmt: { rebalanceTimeouts: 1 },
      latency: { 'loadmgmt.rebalance': { count: 4, p50: 20, p95: 40, p99: 45, max: 45, mean: 25 } },
    }), { final: true });
    expect(judged.map((j) => [j.ok, j.value])).toEqual([[false, 11_040], [true, 45], [false, 1]]);
    expect(judged[0].message).toBe('site.power.max = 11040 W, limit <= 11000 W');
    expect(evaluateThresholds([t[0]], aSnapshot({ site: { ...site, powerMaxW: 10_999 } }))[0].ok).toBe(true);
  });

  it('refuses a time unit on site power, and a rebalance latency without its statistic', () => {
    expect(parseThreshold('site.power.max <= 11000ms')).toMatchObject({ ok: false, error: expect.stringMatching(/not a time/) });
    expect(parseThreshold('loadmgmt.rebalance < 2s')).toMatchObject({ ok: false, error: expect.stringMatching(/needs a statistic/) });
    expect(isTimeThreshold(parsed('site.power.max <= 11000'))).toBe(false);
  });
});

describe('time thresholds', () => {
  it('are the limits on a duration: latency statistics and the event-loop delay, not counts or sizes', () => {
    const time = ['notify.meter.values.p99 < 200ms', 'ocpp.BootNotification.max < 2s', 'generator.eventLoopP99Ms < 50ms'];
    const other = ['ocpp.BootNotification.count == 3', 'isolation.leaks == 0', 'billing.negative_balances == 0', 'generator.rssMb < 1024'];
    expect(time.map((t) => isTimeThreshold(parsed(t)))).toEqual([true, true, true]);
    expect(other.map((t) => isTimeThreshold(parsed(t)))).toEqual([false, false, false, false]);
  });

  it('stay in the shipped scenarios for ev-sim run; the tests run them on the other thresholds alone', async () => {
    const loaded = await loadScenario(new URL('../../scenarios/realtime-rabbitmq.yaml', import.meta.url).pathname);
    expect(loaded.ok && loaded.scenario.thresholds).toContain('notify.meter.values.p99 < 200ms');
    const forTests = await shippedScenario('realtime-rabbitmq.yaml');
    expect(forTests.thresholds).toEqual(['notifications.lost == 0', 'isolation.leaks == 0', 'errors.unexpected == 0']);
    // Nor does the generator's overload verdict (exit 3 when its own event loop lags) end a test run.
    expect(loaded.ok && loaded.scenario.generator.sustain).toBe(5000);
    expect(forTests.generator.sustain).toBe(Number.POSITIVE_INFINITY);
  });
});
