import { describe, expect, it } from 'vitest';
import { renderSummary } from '../../../src/simulator/report/index.ts';
import { aReconciliation, aRunResult, aSnapshot, aThreshold } from './builders.ts';

describe('renderSummary', () => {
  it('gives the verdict and lists every threshold with its mark and measured value', () => {
    const text = renderSummary(
      aRunResult({
        thresholds: [
          aThreshold({ expression: 'ocpp.StartTransaction.p99 < 200ms', ok: false, value: 231, message: 'ocpp.StartTransaction.p99 = 231 ms, limit < 200 ms' }),
          aThreshold({ expression: 'isolation.leaks == 0', ok: true, value: 0, message: 'isolation.leaks = 0, limit == 0' }),
        ],
      }),
    );
    expect(text.split('\n')[0]).toBe('ev-sim smoke-50: FAILED (exit 1: a threshold failed)');
    expect(text).toContain('Thresholds  1/2 held, 1 failed');
    expect(text).toMatch(/✗ ocpp\.StartTransaction\.p99 < 200ms\s+ocpp\.StartTransaction\.p99 = 231 ms, limit < 200 ms/);
    expect(text).toMatch(/✓ isolation\.leaks == 0/);
  });

  it('has a Failovers line only when chargers failed over: the total and the chargers with the most first', () => {
    expect(renderSummary(aRunResult())).not.toContain('Failovers');
    const byCharger = { 'C-1': 1, 'C-2': 3, 'C-3': 1, 'C-4': 1, 'C-5': 1, 'C-6': 2 };
    const text = renderSummary(aRunResult({ final: aSnapshot({ phase: 'done', failovers: { total: 9, byCharger } }) }));
    expect(text).toContain('Failovers      9 (6 chargers: C-2 3, C-6 2, C-1 1, C-3 1, C-4 1, …)');
  });

  it('has a Site power line once a station reported power: the busiest stations first, and the starts that got no TxProfile', () => {
    expect(renderSummary(aRunResult())).not.toContain('Site power');
    const site = { powerMaxW: 11_040, stations: { Office: { powerW: 0, powerMaxW: 3000 }, Depot: { powerW: 4000, powerMaxW: 11_040, gridLimitW: 11_000 } } };
    const text = renderSummary(aRunResult({ final: aSnapshot({ phase: 'done', site, loadmgmt: { rebalanceTimeouts: 2 } }) }));
    expect(text).toContain('Site power     max 11.0 kW (Depot 11.0 kW of 11.0 kW, Office 3.0 kW); 2 starts without a TxProfile within 30 s');
  });

  it('tabulates key latencies and the fleet, isolation, notification and generator lines', () => {
    const text = renderSummary(
      aRunResult({ final: aSnapshot({ phase: 'done', isolation: { leaks: 3 }, notifications: { expected: 100, received: 97, lost: 3 }, generator: { overloaded: true, reason: 'CPU 98%' } }) }),
    );
    expect(text).toMatch(/ocpp\.StartTransaction\s+30\s+12ms\s+40ms\s+58ms\s+70ms/);
    expect(text).toMatch(/notify\.meter\.values\s+2800\s+6\.0ms/);
    expect(text).toContain('Fleet          50 chargers: 38 available, 12 charging');
    expect(text).toContain('Isolation      3 LEAKS');
    expect(text).toContain('Notifications  expected 100, received 97, lost 3');
    expect(text).toContain('OVERLOADED: CPU 98%');
    // Mean and peak over the timeline, not the drained final snapshot.
    expect(text).toContain('ocpp out 205/s (peak 205)');
  });

  it('says so when no threshold was declared and the run passed', () => {
    const text = renderSummary(aRunResult({ thresholds: [] }));
    expect(text).toContain('PASSED');
    expect(text).toContain('(none declared)');
  });

  it('shows the reconciliation with its first findings, or that it did not run', () => {
    const text = renderSummary(aRunResult({ final: aSnapshot({ phase: 'done', reconciliation: aReconciliation() }) }));
    expect(text).toContain('Reconciliation ocpp.acked_lost 1, sessions.stuck 1, billing.mismatches 0, billing.negative_balances 0 (checked 12 stops, 80 MeterValues, 12 sessions, 5 wallets; after 30s)');
    expect(text).toContain('               StopTransaction SIM-0003 tx 7 (meterStop 4200) was acknowledged, but the session is still active');
    expect(renderSummary(aRunResult())).toContain('Reconciliation not run');
  });
});
