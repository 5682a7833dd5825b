import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqliteStore } from '../../../src/csms/store/index.ts';
import { aChargePoint, aNewSession, aStation, aTariffInput } from '../builders.ts';
import { memoryStore } from './fixtures.ts';

describe('stations', () => {
  let store: SqliteStore;
  let clock: { at: string };
  beforeEach(() => ({ store, clock } = memoryStore()));
  afterEach(() => store.close());

  it('creates with defaults, updates with a new updatedAt, and pages', () => {
    const s = store.stations.create({ name: 'Depot' });
    expect(s).toMatchObject({ name: 'Depot', address: '', latitude: null, longitude: null, createdAt: clock.at, updatedAt: clock.at });
    clock.at = '2024-05-02T00:00:00.000Z';
    const u = store.stations.update(s.id, { address: 'Quay 1', latitude: 1.5 });
    expect(u).toMatchObject({ name: 'Depot', address: 'Quay 1', latitude: 1.5, longitude: null, updatedAt: clock.at, createdAt: s.createdAt });
    expect(store.stations.update(s.id, { latitude: null })?.latitude).toBeNull();
    expect(store.stations.update(999, { name: 'x' })).toBeNull();
    store.stations.create(aStation({ name: 'Second' }));
    expect(store.stations.list({ limit: 1, offset: 1 }).map((x) => x.name)).toEqual(['Second']);
    expect(store.stations.get(s.id)?.name).toBe('Depot');
  });

  it('refuses to delete a station while charge points belong to it', () => {
    const s = store.stations.create(aStation());
    const cp = store.chargePoints.create(aChargePoint({ stationId: s.id }));
    expect(() => store.stations.delete(s.id)).toThrow(expect.objectContaining({ code: 'CSMS_ERR_IN_USE' }));
    store.chargePoints.update(cp.id, { stationId: null });
    expect(store.stations.delete(s.id)).toBe(true);
    expect(store.stations.delete(s.id)).toBe(false);
  });
});

describe('tariffs', () => {
  let store: SqliteStore;
  beforeEach(() => ({ store } = memoryStore()));
  afterEach(() => store.close());

  it('stores integer minor-unit prices and rejects fractions or negatives', () => {
    const t = store.tariffs.create(aTariffInput({ pricePerKwh: 35, sessionFee: 50 }));
    expect(t).toMatchObject({ pricePerKwh: 35, pricePerMinute: 0, sessionFee: 50, currency: 'EUR' });
    expect(() => store.tariffs.create(aTariffInput({ pricePerKwh: 0.35 }))).toThrow(expect.objectContaining({ code: 'CSMS_ERR_VALIDATION' }));
    expect(() => store.tariffs.update(t.id, { sessionFee: -1 })).toThrow(expect.objectContaining({ code: 'CSMS_ERR_VALIDATION' }));
    expect(store.tariffs.update(t.id, { pricePerMinute: 2 })).toMatchObject({ pricePerKwh: 35, pricePerMinute: 2, sessionFee: 50 });
    expect(store.tariffs.list()).toHaveLength(1);
  });

  it('the schema itself refuses a float price, whatever the caller does', () => {
    expect(() =>
      store.db.prepare(`INSERT INTO tariffs (name, currency, price_per_kwh, created_at, updated_at) VALUES ('x', 'EUR', 1.5, '', '')`).run(),
    ).toThrow(/CHECK/);
  });

  it("resolves a charge point's own tariff only: without one, charging there is free", () => {
    expect(store.tariffs.forChargePoint('CP-1')).toBeNull();
    store.tariffs.create(aTariffInput({ name: 'first' }));
    const own = store.tariffs.create(aTariffInput({ name: 'own' }));
    const plain = store.chargePoints.create(aChargePoint());
    const priced = store.chargePoints.create(aChargePoint({ tariffId: own.id }));
    expect(store.tariffs.forChargePoint(priced.id)?.name).toBe('own');
    // No fallback to another tariff: what the CMS lists as free is billed as free.
    expect(store.tariffs.forChargePoint(plain.id)).toBeNull();
    expect(store.tariffs.forChargePoint('unknown')).toBeNull();
  });

  it('refuses to delete a tariff in use; past sessions lose only the link', () => {
    const t = store.tariffs.create(aTariffInput());
    const cp = store.chargePoints.create(aChargePoint({ tariffId: t.id }));
    expect(() => store.tariffs.delete(t.id)).toThrow(expect.objectContaining({ code: 'CSMS_ERR_IN_USE' }));
    const { session } = store.sessions.start(aNewSession({ chargePointId: cp.id, tariff: t }));
    store.sessions.complete(session.id, { meterStop: 3000, energyWh: 2000, costMinor: 60, stoppedAt: '2024-05-01T11:00:00Z', reason: null });
    store.chargePoints.update(cp.id, { tariffId: null });
    expect(store.tariffs.delete(t.id)).toBe(true);
    // The prices it was billed with stay with it.
    expect(store.sessions.get(session.id)).toMatchObject({ tariffId: null, costMinor: 60, currency: 'EUR', tariff: { id: null, name: t.name, pricePerKwh: t.pricePerKwh } });
  });
});
