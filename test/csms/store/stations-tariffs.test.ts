import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/csms/domain/ports.ts';
import { createSqliteStore } from '../../../src/csms/store/index.ts';
import { aChargePoint, aNewSession, aStation, aTariffInput } from '../builders.ts';
import { eachStore, openStore, type TestClock } from '../../helpers/stores.ts';

describe.each(eachStore)('[%s] stations', (_name, adapter) => {
  let store: Store;
  let clock: TestClock;
  beforeEach(async (ctx) => ({ store, clock } = await openStore(adapter, ctx)));

  it('creates with defaults, updates with a new updatedAt, and pages', async () => {
    const s = await store.stations.create({ name: 'Depot' });
    expect(s).toMatchObject({ name: 'Depot', address: '', latitude: null, longitude: null, createdAt: clock.at, updatedAt: clock.at });
    clock.at = '2024-05-02T00:00:00.000Z';
    const u = await store.stations.update(s.id, { address: 'Quay 1', latitude: 1.5 });
    expect(u).toMatchObject({ name: 'Depot', address: 'Quay 1', latitude: 1.5, longitude: null, updatedAt: clock.at, createdAt: s.createdAt });
    expect((await store.stations.update(s.id, { latitude: null }))?.latitude).toBeNull();
    expect(await store.stations.update(999, { name: 'x' })).toBeNull();
    await store.stations.create(aStation({ name: 'Second' }));
    expect((await store.stations.list({ limit: 1, offset: 1 })).map((x) => x.name)).toEqual(['Second']);
    expect((await store.stations.get(s.id))?.name).toBe('Depot');
  });

  it('refuses to delete a station while charge points belong to it', async () => {
    const s = await store.stations.create(aStation());
    const cp = await store.chargePoints.create(aChargePoint({ stationId: s.id }));
    await expect(store.stations.delete(s.id)).rejects.toThrow(expect.objectContaining({ code: 'CSMS_ERR_IN_USE' }));
    await store.chargePoints.update(cp.id, { stationId: null });
    expect(await store.stations.delete(s.id)).toBe(true);
    expect(await store.stations.delete(s.id)).toBe(false);
  });
});

describe.each(eachStore)('[%s] tariffs', (_name, adapter) => {
  let store: Store;
  beforeEach(async (ctx) => ({ store } = await openStore(adapter, ctx)));

  it('stores integer minor-unit prices and rejects fractions or negatives', async () => {
    const t = await store.tariffs.create(aTariffInput({ pricePerKwh: 35, sessionFee: 50 }));
    expect(t).toMatchObject({ pricePerKwh: 35, pricePerMinute: 0, sessionFee: 50, currency: 'EUR' });
    await expect(store.tariffs.create(aTariffInput({ pricePerKwh: 0.35 }))).rejects.toThrow(expect.objectContaining({ code: 'CSMS_ERR_VALIDATION' }));
    await expect(store.tariffs.update(t.id, { sessionFee: -1 })).rejects.toThrow(expect.objectContaining({ code: 'CSMS_ERR_VALIDATION' }));
    expect(await store.tariffs.update(t.id, { pricePerMinute: 2 })).toMatchObject({ pricePerKwh: 35, pricePerMinute: 2, sessionFee: 50 });
    expect(await store.tariffs.list()).toHaveLength(1);
  });

  it("resolves a charge point's own tariff only: without one, charging there is free", async () => {
    expect(await store.tariffs.forChargePoint('CP-1')).toBeNull();
    await store.tariffs.create(aTariffInput({ name: 'first' }));
    const own = await store.tariffs.create(aTariffInput({ name: 'own' }));
    const plain = await store.chargePoints.create(aChargePoint());
    const priced = await store.chargePoints.create(aChargePoint({ tariffId: own.id }));
    expect((await store.tariffs.forChargePoint(priced.id))?.name).toBe('own');
    // No fallback to another tariff: what the CMS lists as free is billed as free.
    expect(await store.tariffs.forChargePoint(plain.id)).toBeNull();
    expect(await store.tariffs.forChargePoint('unknown')).toBeNull();
  });

  it('refuses to delete a tariff in use; past sessions lose only the link', async () => {
    const t = await store.tariffs.create(aTariffInput());
    const cp = await store.chargePoints.create(aChargePoint({ tariffId: t.id }));
    await expect(store.tariffs.delete(t.id)).rejects.toThrow(expect.objectContaining({ code: 'CSMS_ERR_IN_USE' }));
    const { session } = await store.sessions.start(aNewSession({ chargePointId: cp.id, tariff: t }));
    await store.sessions.complete(session.id, { meterStop: 3000, energyWh: 2000, costMinor: 60, stoppedAt: '2024-05-01T11:00:00Z', reason: null });
    await store.chargePoints.update(cp.id, { tariffId: null });
    expect(await store.tariffs.delete(t.id)).toBe(true);
    // The prices it was billed with stay with it.
    expect(await store.sessions.get(session.id)).toMatchObject({ tariffId: null, costMinor: 60, currency: 'EUR', tariff: { id: null, name: t.name, pricePerKwh: t.pricePerKwh } });
  });
});

// SQLite only: its columns take a value of any type (type affinity), so only a CHECK keeps 1.5 out of an INTEGER price.
describe('[sqlite] the tariffs table', () => {
  it('refuses a float price itself, whatever the caller does', async () => {
    const store = createSqliteStore(':memory:');
    try {
      expect(() =>
        store.db.prepare(`INSERT INTO tariffs (name, currency, price_per_kwh, created_at, updated_at) VALUES ('x', 'EUR', 1.5, '', '')`).run(),
      ).toThrow(/CHECK/);
    } finally {
      await store.close();
    }
  });
});
