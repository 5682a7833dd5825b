import { beforeEach, describe, expect, it } from 'vitest';
import type { SessionFilter, Store } from '../../../src/csms/domain/ports.ts';
import { aChargePoint, aMeterSample, aNewSession, aUser } from '../builders.ts';
import { eachStore, openStore, type OpenedStore } from '../../helpers/stores.ts';

describe.each(eachStore)('[%s] sessions', (_name, adapter) => {
  let store: Store;
  let opened: OpenedStore;
  beforeEach(async (ctx) => {
    opened = await openStore(adapter, ctx);
    store = opened.store;
    await store.chargePoints.create(aChargePoint({ id: 'CP-1' }));
    await store.chargePoints.create(aChargePoint({ id: 'CP-2' }));
  });

  it('starts an active session whose id is the transactionId', async () => {
    const { session, created } = await store.sessions.start(aNewSession({ meterStart: 1234, currency: 'GBP' }));
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
    expect(await store.sessions.get(session.id)).toEqual(session);
  });

  it('returns the same session for a retried StartTransaction', async () => {
    const first = await store.sessions.start(aNewSession());
    const retry = await store.sessions.start(aNewSession());
    expect(retry.created).toBe(false);
    expect(retry.session.id).toBe(first.session.id);
    // Any difference in the start key is a new transaction.
    const other = await store.sessions.start(aNewSession({ meterStart: 1001 }));
    expect(other.created).toBe(true);
    expect(await store.sessions.count({})).toBe(2);
  });

  it('updates progress of active sessions only and completes exactly once', async () => {
    const { session } = await store.sessions.start(aNewSession());
    await store.sessions.updateProgress(session.id, { meterLast: 1500, energyWh: 500, powerW: 7400.5, costMinor: 15, lastMeterAt: '2024-05-01T10:30:00.000Z' });
    expect(await store.sessions.get(session.id)).toMatchObject({ meterLast: 1500, energyWh: 500, powerW: 7400.5, costMinor: 15, lastMeterAt: '2024-05-01T10:30:00.000Z' });

    const stop = { meterStop: 2000, energyWh: 1000, costMinor: 30, stoppedAt: '2024-05-01T11:00:00Z', reason: 'Local' };
    expect(await store.sessions.complete(session.id, stop)).toBe(true);
    expect(await store.sessions.complete(session.id, { ...stop, costMinor: 999 })).toBe(false);
    await store.sessions.updateProgress(session.id, { meterLast: 9000, energyWh: 8000, powerW: 1, costMinor: 240, lastMeterAt: '2024-05-01T10:40:00.000Z' });
    expect(await store.sessions.get(session.id)).toMatchObject({
      status: 'completed',
      meterStop: 2000,
      meterLast: 2000,
      energyWh: 1000,
      powerW: 0,
      costMinor: 30,
      stoppedAt: '2024-05-01T11:00:00Z',
      stopReason: 'Local',
      lastMeterAt: '2024-05-01T10:30:00.000Z',
    });
  });

  it('records a reading at once: the samples always, the progress only while active', async () => {
    const { session } = await store.sessions.start(aNewSession({ meterStart: 1000 }));
    const first = aMeterSample({ timestamp: '2024-05-01T10:30:00.000Z', value: 1500 });
    await store.sessions.recordReading(session.id, 'CP-1', 1, [first, aMeterSample({ timestamp: '2024-05-01T10:30:00.000Z', measurand: 'Power.Active.Import', value: 7400.5, unit: 'W', phase: 'L1', context: null })],
      { meterLast: 1500, energyWh: 500, powerW: 7400.5, costMinor: 15, lastMeterAt: '2024-05-01T10:30:00.000Z', lastReportAt: '2024-05-01T10:30:01.000Z' });
    expect(await store.sessions.get(session.id)).toMatchObject({ meterLast: 1500, energyWh: 500, powerW: 7400.5, costMinor: 15, lastMeterAt: '2024-05-01T10:30:00.000Z', lastReportAt: '2024-05-01T10:30:01.000Z', meterStart: 1000 });
    expect((await store.sessions.meterSamples(session.id)).map((m) => [m.measurand, m.value, m.phase, m.context])).toEqual([
      ['Energy.Active.Import.Register', 1500, null, first.context],
      ['Power.Active.Import', 7400.5, 'L1', null],
    ]);
    // A pending meterStart is set by the first usable reading.
    const pending = (await store.sessions.start(aNewSession({ connectorId: 2, meterStart: 0, meterStartPending: true }))).session;
    await store.sessions.recordReading(pending.id, 'CP-1', 2, [], { meterLast: 800, energyWh: 0, powerW: 0, costMinor: 0, lastMeterAt: '2024-05-01T10:31:00.000Z', meterStart: 800 });
    expect(await store.sessions.get(pending.id)).toMatchObject({ meterStart: 800, meterStartPending: false, meterLast: 800 });
    expect(await store.sessions.meterSamples(pending.id)).toEqual([]);

    await store.sessions.complete(session.id, { meterStop: 2000, energyWh: 1000, costMinor: 30, stoppedAt: '2024-05-01T11:00:00Z', reason: 'Local' });
    await store.sessions.recordReading(session.id, 'CP-1', 1, [aMeterSample({ timestamp: '2024-05-01T11:05:00.000Z', value: 9000 })],
      { meterLast: 9000, energyWh: 8000, powerW: 1, costMinor: 240, lastMeterAt: '2024-05-01T11:05:00.000Z' });
    expect(await store.sessions.get(session.id)).toMatchObject({ status: 'completed', meterLast: 2000, energyWh: 1000, costMinor: 30, lastMeterAt: '2024-05-01T10:30:00.000Z' });
    expect((await store.sessions.meterSamples(session.id)).map((m) => m.value)).toEqual([1500, 7400.5, 9000]);
  });

  it('finds the active session per connector and per customer', async () => {
    const user = await store.users.create(aUser());
    const a = (await store.sessions.start(aNewSession({ connectorId: 1, customerId: user.id }))).session;
    await store.sessions.start(aNewSession({ connectorId: 2, idTag: 'OTHER' }));
    expect((await store.sessions.activeOnConnector('CP-1', 1))?.id).toBe(a.id);
    expect(await store.sessions.activeOnConnector('CP-2', 1)).toBeNull();
    expect((await store.sessions.activeForCustomer(user.id)).map((s) => s.id)).toEqual([a.id]);
    await store.sessions.complete(a.id, { meterStop: 1000, energyWh: 0, costMinor: 0, stoppedAt: '2024-05-01T11:00:00.000Z', reason: null });
    expect(await store.sessions.activeOnConnector('CP-1', 1)).toBeNull();
    expect(await store.sessions.activeForCustomer(user.id)).toEqual([]);
  });

  it('lists newest first with filters, time range and paging', async () => {
    const user = await store.users.create(aUser());
    const s1 = (await store.sessions.start(aNewSession({ customerId: user.id, startedAt: '2024-05-01T08:00:00.000Z' }))).session;
    const s2 = (await store.sessions.start(aNewSession({ chargePointId: 'CP-2', startedAt: '2024-05-02T08:00:00.000Z' }))).session;
    const s3 = (await store.sessions.start(aNewSession({ customerId: user.id, connectorId: 2, startedAt: '2024-05-03T08:00:00.000Z' }))).session;
    await store.sessions.complete(s1.id, { meterStop: 1000, energyWh: 0, costMinor: 0, stoppedAt: '2024-05-01T11:00:00.000Z', reason: null });

    const ids = async (f: SessionFilter) => (await store.sessions.list(f)).map((s) => s.id);
    expect(await ids({})).toEqual([s3.id, s2.id, s1.id]);
    expect(await ids({ customerId: user.id })).toEqual([s3.id, s1.id]);
    expect(await ids({ customerId: user.id, status: 'active' })).toEqual([s3.id]);
    expect(await ids({ chargePointId: 'CP-2' })).toEqual([s2.id]);
    expect(await ids({ from: '2024-05-02T00:00:00.000Z', to: '2024-05-03T00:00:00.000Z' })).toEqual([s2.id]);
    expect(await ids({ limit: 1, offset: 1 })).toEqual([s2.id]);
    expect(await store.sessions.count({ status: 'active' })).toBe(2);
    expect(await store.sessions.count({ customerId: user.id })).toBe(2);
  });

  it('stores meter samples with or without a session and reads them in time order', async () => {
    const { session } = await store.sessions.start(aNewSession());
    await store.sessions.addMeterSamples(session.id, 'CP-1', 1, [
      aMeterSample({ timestamp: '2024-05-01T10:02:00.000Z', value: 2000 }),
      aMeterSample({ timestamp: '2024-05-01T10:01:00.000Z', value: 1500.5, phase: 'L1', context: null }),
    ]);
    await store.sessions.addMeterSamples(null, 'CP-1', 1, [aMeterSample({ value: 1 })]);
    await store.sessions.addMeterSamples(session.id, 'CP-1', 1, []);
    const samples = await store.sessions.meterSamples(session.id);
    expect(samples).toEqual([
      aMeterSample({ timestamp: '2024-05-01T10:01:00.000Z', value: 1500.5, phase: 'L1', context: null }),
      aMeterSample({ timestamp: '2024-05-01T10:02:00.000Z', value: 2000 }),
    ]);
    expect((await store.sessions.meterSamples(session.id, { limit: 1, offset: 1 })).map((s) => s.value)).toEqual([2000]);
    // The port reads samples by session only: a sample without one is seen in the table.
    const [row] = await opened.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM meter_values WHERE session_id IS NULL');
    expect(Number(row.n)).toBe(1);
  });
});
