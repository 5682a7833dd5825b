import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/csms/domain/ports.ts';
import { utcMidnight } from '../../../src/csms/store/rules.ts';
import { aChargePoint, aNewSession, aStation, aUser } from '../builders.ts';
import { eachStore, openStore } from '../../helpers/stores.ts';

describe.each(eachStore)('[%s] dashboardStats', (_name, adapter) => {
  let store: Store;
  beforeEach(async (ctx) => ({ store } = await openStore(adapter, ctx)));

  const now = '2024-05-02T15:00:00.000Z';

  it('is all zeros for an empty database', async () => {
    expect(await store.dashboardStats(now)).toEqual({
      stations: 0,
      stationsOnline: 0,
      chargePoints: 0,
      chargePointsOnline: 0,
      connectorsByStatus: {},
      activeSessions: 0,
      energyWhToday: 0,
      energyWhTotal: 0,
      revenueMinorToday: 0,
      revenueMinorTotal: 0,
      customers: 0,
    });
  });

  it('counts stations, points, connectors, sessions, energy, revenue and customers', async () => {
    const s1 = await store.stations.create(aStation());
    const s2 = await store.stations.create(aStation());
    await store.stations.create(aStation());
    await store.chargePoints.create(aChargePoint({ id: 'A', stationId: s1.id, connectors: 2 }));
    await store.chargePoints.create(aChargePoint({ id: 'B', stationId: s1.id, connectors: 1 }));
    await store.chargePoints.create(aChargePoint({ id: 'C', stationId: s2.id, connectors: 0 }));
    await store.chargePoints.create(aChargePoint({ id: 'D', connectors: 0 }));
    for (const id of ['A', 'B', 'D']) await store.chargePoints.setOnline(id, true, now);
    await store.chargePoints.upsertConnector({ chargePointId: 'A', connectorId: 1, status: 'Charging', errorCode: 'NoError', info: null }, now);
    await store.chargePoints.upsertConnector({ chargePointId: 'A', connectorId: 0, status: 'Available', errorCode: 'NoError', info: null }, now);

    const alice = (await store.users.create(aUser())).id;
    await store.users.create(aUser());
    await store.users.create(aUser({ role: 'admin' }));
    const yesterday = (await store.sessions.start(aNewSession({ chargePointId: 'A', customerId: alice, startedAt: '2024-05-01T23:00:00.000Z' }))).session;
    await store.sessions.complete(yesterday.id, { meterStop: 6000, energyWh: 5000, costMinor: 150, stoppedAt: '2024-05-01T23:59:00.000Z', reason: null });
    const today = (await store.sessions.start(aNewSession({ chargePointId: 'A', customerId: alice, startedAt: '2024-05-02T01:00:00.000Z' }))).session;
    await store.sessions.updateProgress(today.id, { meterLast: 3000, energyWh: 2000, powerW: 11000, costMinor: 60, lastMeterAt: now });

    await store.wallet.add({ customerId: alice, amountMinor: 5000, kind: 'topup', createdAt: '2024-05-01T08:00:00.000Z' });
    await store.wallet.add({ customerId: alice, amountMinor: -150, kind: 'charge', sessionId: yesterday.id, createdAt: '2024-05-01T23:59:00.000Z' });
    await store.wallet.add({ customerId: alice, amountMinor: -40, kind: 'charge', createdAt: '2024-05-02T00:00:00.000Z' });

    expect(await store.dashboardStats(now)).toEqual({
      stations: 3,
      stationsOnline: 1,
      chargePoints: 4,
      chargePointsOnline: 3,
      connectorsByStatus: { Charging: 1, Unknown: 2 },
      activeSessions: 1,
      energyWhToday: 2000,
      energyWhTotal: 7000,
      revenueMinorToday: 40,
      revenueMinorTotal: 190,
      customers: 2,
    });
  });
});

// SQLite only: utcMidnight is the SQLite adapter's own helper (the counts above check "today" through the port).
describe('[sqlite] utcMidnight', () => {
  it('takes "today" from UTC midnight of now', () => {
    expect(utcMidnight('2024-05-02T15:00:00.000Z')).toBe('2024-05-02T00:00:00.000Z');
    expect(utcMidnight('2024-05-02T01:30:00+02:00')).toBe('2024-05-01T00:00:00.000Z');
  });
});
