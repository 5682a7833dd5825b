/**
 * scenarios/load-management.yaml, as CI runs it: with the CSMS's load management the site stays
 * within its grid limit by its chargers' own meters; the same scenario with it switched off fails
 * that threshold (exit 1).
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/simulator/runner.ts';
import { shippedScenario } from './shipped.ts';

describe('shipped scenario load-management.yaml', () => {
  it('holds site.power.max <= the grid limit with load management, every start re-divided in time', async () => {
    const result = await runScenario(await shippedScenario('load-management.yaml'), {});
    const failed = result.thresholds.filter((t) => t.ok !== true).map((t) => t.message);
    expect({ exitCode: result.exitCode, failed }, `errors: ${JSON.stringify(result.final.errors.top)}`).toEqual({ exitCode: 0, failed: [] });
    const depot = result.final.site.stations.Depot;
    expect(depot.gridLimitW).toBe(22_000);
    // Sessions overlapped: the site did draw, up to its limit, not above.
    expect(depot.powerMaxW).toBeGreaterThan(11_000);
    expect(result.final.latency['loadmgmt.rebalance']?.count).toBeGreaterThan(0);
  }, 120_000);

  it('fails site.power.max (exit 1) with load management switched off', async () => {
    const scenario = await shippedScenario('load-management.yaml');
    if (scenario.target.kind !== 'embedded') throw new Error('load-management.yaml targets the embedded CSMS');
    const off = { ...scenario, target: { ...scenario.target, csms: { ...scenario.target.csms, loadManagement: 'off' as const } } };
    const result = await runScenario(off, {});
    expect(result.exitCode).toBe(1);
    expect(result.thresholds.find((t) => t.expression === 'site.power.max <= 22000')).toMatchObject({ ok: false });
    expect(result.final.site.powerMaxW).toBeGreaterThan(22_000);
  }, 120_000);
});
