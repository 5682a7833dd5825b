import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqliteStore } from '../../../src/csms/store/index.ts';
import { aChargePoint, aMeterSample, aNewSession, aUser } from '../builders.ts';
import { memoryStore } from './fixtures.ts';

describe('sessions', () => {
  let store: SqliteStore;
  beforeEach(() => {
    ({ store } = memoryStore());
    store.chargePoints.create(aChargePoint({ id: 'CP-1' }));
    store.chargePoints.create(aChargePoint({ id: 'CP-2' }));
  });
  afterEach(() => store.close());

  it('starts an active session whose id is the transactionId', () => {
    const { session, created } = store.sessions.start(aNewSession({ meterStart: 1234, currency: 'GBP' }));
    expect(created).toBe(true);
    expect(session).toMatchObject({
      chargePointId: 'CP-1',
      connectorId: 1,
      status: 'active',
      meterStart: 1234,
      meterLast: 1234,
      meterStop: null,
      energyWh: 0,
      powerW: 0,
      costMinor: 0,
      currency: 'GBP',
      stoppedAt: null,
    });
    expect(Number.isInteger(session.id)).toBe(true);
    expect(store.sessions.get(session.id)).toEqual(session);
  });

  it('returns the same session for a retried StartTransaction', () => {
    const first = store.sessions.start(aNewSession());
    const retry = store.sessions.start(aNewSession());
    expect(retry.created).toBe(false);
    expect(retry.session.id).toBe(first.session.id);
    // Any difference in the start key is a new transaction.
    const other = store.sessions.start(aNewSession({ meterStart: 1001 }));
    expect(other.created).toBe(true);
    expect(store.sessions.count({})).toBe(2);
  });

  it('updates progress of active sessions only and completes exactly once', () => {
    const { session } = store.sessions.start(aNewSession());
    store.sessions.updateProgress(session.id, { meterLast: 1500, energyWh: 500, powerW: 7400.5, costMinor: 15, lastMeterAt: 't1' });
    expect(store.sessions.get(session.id)).toMatchObject({ meterLast: 1500, energyWh: 500, powerW: 7400.5, costMinor: 15, lastMeterAt: 't1' });

    const stop = { meterStop: 2000, energyWh: 1000, costMinor: 30, stoppedAt: '2024-05-01T11:00:00Z', reason: 'Local' };
    expect(store.sessions.complete(session.id, stop)).toBe(true);
    expect(store.sessions.complete(session.id, { ...stop, costMinor: 999 })).toBe(false);
    store.sessions.updateProgress(session.id, { meterLast: 9000, energyWh: 8000, powerW: 1, costMinor: 240, lastMeterAt: 't2' });
    expect(store.sessions.get(session.id)).toMatchObject({
      status: 'completed',
      meterStop: 2000,
      meterLast: 2000,
      energyWh: 1000,
      powerW: 0,
      costMinor: 30,
      stoppedAt: '2024-05-01T11:00:00Z',
      stopReason: 'Local',
      lastMeterAt: 't1',
    });
  });

  it('finds the active session per connector and per customer', () => {
    const user = store.users.create(aUser());
    const a = store.sessions.start(aNewSession({ connectorId: 1, customerId: user.id })).session;
    store.sessions.start(aNewSession({ connectorId: 2, idTag: 'OTHER' }));
    expect(store.sessions.activeOnConnector('CP-1', 1)?.id).toBe(a.id);
    expect(store.sessions.activeOnConnector('CP-2', 1)).toBeNull();
    expect(store.sessions.activeForCustomer(user.id).map((s) => s.id)).toEqual([a.id]);
    store.sessions.complete(a.id, { meterStop: 1000, energyWh: 0, costMinor: 0, stoppedAt: 'x', reason: null });
    expect(store.sessions.activeOnConnector('CP-1', 1)).toBeNull();
    expect(store.sessions.activeForCustomer(user.id)).toEqual([]);
  });

  it('lists newest first with filters, time range and paging', () => {
    const user = store.users.create(aUser());
    const s1 = store.sessions.start(aNewSession({ customerId: user.id, startedAt: '2024-05-01T08:00:00.000Z' })).session;
    const s2 = store.sessions.start(aNewSession({ chargePointId: 'CP-2', startedAt: '2024-05-02T08:00:00.000Z' })).session;
    const s3 = store.sessions.start(aNewSession({ customerId: user.id, connectorId: 2, startedAt: '2024-05-03T08:00:00.000Z' })).session;
    store.sessions.complete(s1.id, { meterStop: 1000, energyWh: 0, costMinor: 0, stoppedAt: 'x', reason: null });

    const ids = (f: Parameters<SqliteStore['sessions']['list']>[0]) => store.sessions.list(f).map((s) => s.id);
    expect(ids({})).toEqual([s3.id, s2.id, s1.id]);
    expect(ids({ customerId: user.id })).toEqual([s3.id, s1.id]);
    expect(ids({ customerId: user.id, status: 'active' })).toEqual([s3.id]);
    expect(ids({ chargePointId: 'CP-2' })).toEqual([s2.id]);
    expect(ids({ from: '2024-05-02T00:00:00.000Z', to: '2024-05-03T00:00:00.000Z' })).toEqual([s2.id]);
    expect(ids({ limit: 1, offset: 1 })).toEqual([s2.id]);
    expect(store.sessions.count({ status: 'active' })).toBe(2);
    expect(store.sessions.count({ customerId: user.id })).toBe(2);
  });

  it('stores meter samples with or without a session and reads them in time order', () => {
    const { session } = store.sessions.start(aNewSession());
    store.sessions.addMeterSamples(session.id, 'CP-1', 1, [
      aMeterSample({ timestamp: '2024-05-01T10:02:00.000Z', value: 2000 }),
      aMeterSample({ timestamp: '2024-05-01T10:01:00.000Z', value: 1500.5, phase: 'L1', context: null }),
    ]);
    store.sessions.addMeterSamples(null, 'CP-1', 1, [aMeterSample({ value: 1 })]);
    store.sessions.addMeterSamples(session.id, 'CP-1', 1, []);
    const samples = store.sessions.meterSamples(session.id);
    expect(samples).toEqual([
      aMeterSample({ timestamp: '2024-05-01T10:01:00.000Z', value: 1500.5, phase: 'L1', context: null }),
      aMeterSample({ timestamp: '2024-05-01T10:02:00.000Z', value: 2000 }),
    ]);
    expect(store.sessions.meterSamples(session.id, { limit: 1, offset: 1 }).map((s) => s.value)).toEqual([2000]);
    expect(store.db.prepare('SELECT COUNT(*) FROM meter_values WHERE session_id IS NULL').pluck().get()).toBe(1);
  });
});
