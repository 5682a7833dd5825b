import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { meterSeries } from '../../../src/csms/domain/meter.ts';
import type { MeterSample } from '../../../src/csms/domain/types.ts';
import { aChargePoint, aNewSession } from '../builders.ts';
import { errorOf, startApi, type ApiHarness } from './harness.ts';

const sample = (timestamp: string, measurand: string, value: number, unit: string): MeterSample => ({ timestamp, measurand, value, unit, phase: null, context: 'Sample.Periodic' });

describe('meterSeries', () => {
  it('gives one point per instant, oldest first, with energy relative to meterStart', () => {
    const samples = [
      sample('2024-05-01T10:02:00.000Z', 'Energy.Active.Import.Register', 12_500, 'Wh'),
      sample('2024-05-01T10:02:00.000Z', 'Power.Active.Import', 7000, 'W'),
      sample('2024-05-01T10:01:00.000Z', 'Energy.Active.Import.Register', 11_000, 'Wh'),
      sample('2024-05-01T10:03:00.000Z', 'Power.Active.Import', 6500, 'W'),
    ];
    expect(meterSeries(samples, 10_000)).toEqual([
      { at: '2024-05-01T10:01:00.000Z', energyWh: 1000, powerW: null },
      { at: '2024-05-01T10:02:00.000Z', energyWh: 2500, powerW: 7000 },
      { at: '2024-05-01T10:03:00.000Z', energyWh: null, powerW: 6500 },
    ]);
  });
});

describe('GET …/sessions/:id/meter-values', () => {
  let h: ApiHarness;
  beforeEach(async () => { h = await startApi(); });
  afterEach(async () => { await h.close(); });

  it('gives a customer the series of an own session, 404 for another customer\'s, and the CMS any', async () => {
    const cp = await h.store.chargePoints.create(aChargePoint({ connectors: 1 }));
    const a = await h.customer();
    const b = await h.customer();
    const s = (await h.store.sessions.start(aNewSession({ chargePointId: cp.id, customerId: a.user.id, idTag: a.user.idTag!, meterStart: 5000 }))).session;
    await h.store.sessions.addMeterSamples(s.id, cp.id, 1, [
      sample('2024-05-01T10:01:00.000Z', 'Energy.Active.Import.Register', 5600, 'Wh'),
      sample('2024-05-01T10:01:00.000Z', 'Power.Active.Import', 3600, 'W'),
    ]);

    const own = await h.call(`/api/user/sessions/${s.id}/meter-values`, { token: a.token });
    expect(own.status).toBe(200);
    expect(await own.json()).toEqual({ sessionId: s.id, items: [{ at: '2024-05-01T10:01:00.000Z', energyWh: 600, powerW: 3600 }] });

    const foreign = await h.call(`/api/user/sessions/${s.id}/meter-values`, { token: b.token });
    expect(foreign.status).toBe(404);
    expect((await errorOf(foreign)).code).toBe('CSMS_ERR_SESSION_NOT_FOUND');

    const cms = await h.call(`/api/cms/sessions/${s.id}/meter-values`, { token: h.adminToken });
    expect(((await cms.json()) as { items: unknown[] }).items).toHaveLength(1);
    expect((await h.call(`/api/cms/sessions/${s.id}/meter-values`, { token: a.token })).status).toBe(403);
    expect((await h.call('/api/cms/sessions/999/meter-values', { token: h.adminToken })).status).toBe(404);
    const one = await h.call(`/api/cms/sessions/${s.id}`, { token: h.adminToken });
    expect(await one.json()).toMatchObject({ id: s.id, customerId: a.user.id, customer: { id: a.user.id, name: a.user.name, email: a.user.email } });
    const listed = (await (await h.call('/api/cms/sessions', { token: h.adminToken })).json()) as { items: { customer: { name: string } | null }[] };
    expect(listed.items[0].customer?.name).toBe(a.user.name);
  });
});
