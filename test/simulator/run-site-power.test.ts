/**
 * site.power.max end to end: a run against a real embedded CSMS whose chargers belong to two
 * stations; the report holds each station's largest sampled sum of reported power, and a threshold
 * judges the busiest one. (The CSMS's load management is tested with the CSMS.)
 */
import { expect, it } from 'vitest';
import { runScenario } from '../../src/simulator/runner.ts';
import { aScenario } from './helpers.ts';

it('reports the most each station drew at once, from its chargers\' Power.Active.Import, and judges site.power.max', async () => {
  const result = await runScenario(aScenario(`
name: sites
seed: 3
duration: 5s
setup:
  stations: [{ name: Depot }, { name: Office }]
chargers:
  - idPattern: DEPOT-{0}
    count: 2
    connectors: 1
    powerKw: 11
    station: Depot
    meterValues: { interval: 0.3s, measurands: [Energy.Active.Import.Register, Power.Active.Import] }
  - idPattern: OFFICE-{0}
    count: 1
    connectors: 1
    powerKw: 7
    station: Office
    meterValues: { interval: 0.3s, measurands: [Energy.Active.Import.Register, Power.Active.Import] }
customers:
  count: 3
  sessions: { mix: { app: 1, rfid: 0 }, interval: [0.1s, 0.3s], duration: [2s, 3s] }
thresholds:
  - site.power.max <= 22000
  - site.power.max > 0
  - errors.unexpected == 0
`), {});
  expect(result.reason).toBe('all 3 thresholds held');
  const { site } = result.final;
  // Each charger draws its full power (no profiles): a station's largest sum is a multiple of it.
  expect(site.stations.Depot.powerMaxW % 11_000).toBe(0);
  expect(site.stations.Depot.powerMaxW).toBeGreaterThan(0);
  expect([0, 7000]).toContain(site.stations.Office.powerMaxW);
  expect(site.powerMaxW).toBe(Math.max(site.stations.Depot.powerMaxW, site.stations.Office.powerMaxW));
  // After the run every session has ended: nothing draws.
  expect(site.stations.Depot.powerW).toBe(0);
}, 60_000);
