/** Installed charging profiles, the unconfirmed count, and the load-management fields of stations and charge points, on both stores. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { ChargingProfile } from '../../../src/ocpp/messages.ts';
import type { Store } from '../../../src/csms/domain/ports.ts';
import type { InstalledProfile } from '../../../src/csms/domain/types.ts';
import { aChargePoint, aNewSession, aStation } from '../builders.ts';
import { eachStore, openStore, type TestClock } from '../../helpers/stores.ts';

function aProfile(overrides: Partial<ChargingProfile> = {}): ChargingProfile {
  return {
    chargingProfileId: 1, stackLevel: 0, chargingProfilePurpose: 'TxDefaultProfile', chargingProfileKind: 'Relative',
    chargingSchedule: { chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 11_000 }] },
    ...overrides,
  };
}

function installed(chargePointId: string, connectorId: number, profile: ChargingProfile, at: string): InstalledProfile {
  return {
    chargePointId, connectorId, chargingProfileId: profile.chargingProfileId, stackLevel: profile.stackLevel, purpose: profile.chargingProfilePurpose,
    transactionId: profile.transactionId ?? null, profile, requestedBy: 'admin:1', installedAt: at,
  };
}

describe.each(eachStore)('[%s] charging profiles', (_name, adapter) => {
  let store: Store;
  let clock: TestClock;
  beforeEach(async (ctx) => ({ store, clock } = await openStore(adapter, ctx)));

  it('keeps what was installed, per charge point, ordered by connector, purpose and stack level', async () => {
    const a = await store.chargePoints.create(aChargePoint());
    const b = await store.chargePoints.create(aChargePoint());
    const max = aProfile({ chargingProfileId: 3, chargingProfilePurpose: 'ChargePointMaxProfile' });
    await store.chargingProfiles.install(installed(a.id, 1, aProfile({ chargingProfileId: 2, stackLevel: 1 }), clock.at));
    await store.chargingProfiles.install(installed(a.id, 0, max, clock.at));
    await store.chargingProfiles.install(installed(a.id, 1, aProfile({ chargingProfileId: 1, stackLevel: 0 }), clock.at));
    await store.chargingProfiles.install(installed(b.id, 1, aProfile({ chargingProfileId: 1 }), clock.at));
    const list = await store.chargingProfiles.list(a.id);
    expect(list.map((p) => [p.connectorId, p.purpose, p.stackLevel, p.chargingProfileId])).toEqual([
      [0, 'ChargePointMaxProfile', 0, 3],
      [1, 'TxDefaultProfile', 0, 1],
      [1, 'TxDefaultProfile', 1, 2],
    ]);
    expect(list[0]).toEqual(installed(a.id, 0, max, clock.at));
    expect(await store.chargingProfiles.list(b.id)).toHaveLength(1);
  });

  it('replaces a profile with the same id, and one with the same purpose and stack level on that connector (E2 §3.13.2)', async () => {
    const cp = await store.chargePoints.create(aChargePoint());
    await store.chargingProfiles.install(installed(cp.id, 1, aProfile({ chargingProfileId: 1, stackLevel: 0 }), clock.at));
    await store.chargingProfiles.install(installed(cp.id, 2, aProfile({ chargingProfileId: 2, stackLevel: 0 }), clock.at));
    // Same id, moved to connector 2 at another level: the old one goes.
    await store.chargingProfiles.install(installed(cp.id, 2, aProfile({ chargingProfileId: 1, stackLevel: 5 }), clock.at));
    expect((await store.chargingProfiles.list(cp.id)).map((p) => [p.connectorId, p.chargingProfileId, p.stackLevel])).toEqual([[2, 2, 0], [2, 1, 5]]);
    // Same purpose and level on connector 2, another id: replaces id 2 only.
    await store.chargingProfiles.install(installed(cp.id, 2, aProfile({ chargingProfileId: 9, stackLevel: 0 }), clock.at));
    expect((await store.chargingProfiles.list(cp.id)).map((p) => p.chargingProfileId)).toEqual([9, 1]);
    // Same purpose and level on another connector: kept beside it.
    await store.chargingProfiles.install(installed(cp.id, 1, aProfile({ chargingProfileId: 10, stackLevel: 0 }), clock.at));
    expect((await store.chargingProfiles.list(cp.id)).map((p) => p.chargingProfileId).sort()).toEqual([1, 10, 9]);
  });

  it('clears by id alone, else by every field given, else all (E2 §5.4)', async () => {
    const cp = await store.chargePoints.create(aChargePoint());
    const other = await store.chargePoints.create(aChargePoint());
    const seed = async () => {
      await store.chargingProfiles.install(installed(cp.id, 0, aProfile({ chargingProfileId: 1, chargingProfilePurpose: 'ChargePointMaxProfile' }), clock.at));
      await store.chargingProfiles.install(installed(cp.id, 1, aProfile({ chargingProfileId: 2, stackLevel: 0 }), clock.at));
      await store.chargingProfiles.install(installed(cp.id, 1, aProfile({ chargingProfileId: 3, stackLevel: 1 }), clock.at));
      await store.chargingProfiles.install(installed(cp.id, 2, aProfile({ chargingProfileId: 4, stackLevel: 1 }), clock.at));
    };
    await seed();
    await store.chargingProfiles.install(installed(other.id, 1, aProfile({ chargingProfileId: 2 }), clock.at));
    const ids = async () => (await store.chargingProfiles.list(cp.id)).map((p) => p.chargingProfileId).sort();
    // The id wins over the other fields.
    expect(await store.chargingProfiles.clear(cp.id, { id: 2, connectorId: 2 })).toBe(1);
    expect(await ids()).toEqual([1, 3, 4]);
    expect(await store.chargingProfiles.clear(cp.id, { chargingProfilePurpose: 'TxDefaultProfile', stackLevel: 1, connectorId: 2 })).toBe(1);
    expect(await ids()).toEqual([1, 3]);
    expect(await store.chargingProfiles.clear(cp.id, { chargingProfilePurpose: 'TxDefaultProfile' })).toBe(1);
    expect(await ids()).toEqual([1]);
    expect(await store.chargingProfiles.clear(cp.id, { id: 99 })).toBe(0);
    await seed();
    expect(await store.chargingProfiles.clear(cp.id, {})).toBe(4);
    expect(await ids()).toEqual([]);
    expect(await store.chargingProfiles.list(other.id)).toHaveLength(1);
  });

  it("removes a transaction's TxProfiles, and only those", async () => {
    const cp = await store.chargePoints.create(aChargePoint());
    const { session: one } = await store.sessions.start(aNewSession({ chargePointId: cp.id, connectorId: 1 }));
    const { session: two } = await store.sessions.start(aNewSession({ chargePointId: cp.id, connectorId: 2 }));
    await store.chargingProfiles.install(installed(cp.id, 1, aProfile({ chargingProfileId: 5, chargingProfilePurpose: 'TxProfile', transactionId: one.id }), clock.at));
    await store.chargingProfiles.install(installed(cp.id, 2, aProfile({ chargingProfileId: 6, chargingProfilePurpose: 'TxProfile', transactionId: two.id }), clock.at));
    await store.chargingProfiles.install(installed(cp.id, 1, aProfile({ chargingProfileId: 7 }), clock.at));
    expect(await store.chargingProfiles.removeForTransaction(cp.id, one.id)).toBe(1);
    expect(await store.chargingProfiles.removeForTransaction(cp.id, one.id)).toBe(0);
    expect((await store.chargingProfiles.list(cp.id)).map((p) => p.chargingProfileId).sort()).toEqual([6, 7]);
  });

  it('keeps a profile for a transaction only while that transaction is active on that charge point', async () => {
    const cp = await store.chargePoints.create(aChargePoint());
    const other = await store.chargePoints.create(aChargePoint());
    const { session } = await store.sessions.start(aNewSession({ chargePointId: cp.id }));
    const forTx = (transactionId: number, limit: number) => aProfile({
      chargingProfileId: 5, chargingProfilePurpose: 'TxProfile', transactionId, chargingSchedule: { chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit }] },
    });
    expect(await store.chargingProfiles.install(installed(other.id, 1, forTx(session.id, 5_500), clock.at))).toBe(false);
    expect(await store.chargingProfiles.install(installed(cp.id, 1, forTx(session.id + 1_000, 5_500), clock.at))).toBe(false);
    expect(await store.chargingProfiles.list(other.id)).toEqual([]);
    expect(await store.chargingProfiles.install(installed(cp.id, 1, forTx(session.id, 5_500), clock.at))).toBe(true);
    expect(await store.chargingProfiles.install(installed(cp.id, 1, aProfile({ chargingProfileId: 7 }), clock.at))).toBe(true);
    // The stop, as the processor applies it: the session ends, its TxProfiles go.
    await store.sessions.complete(session.id, { meterStop: 1000, energyWh: 0, costMinor: 0, stoppedAt: '2024-05-01T11:00:00.000Z', reason: null });
    expect(await store.chargingProfiles.removeForTransaction(cp.id, session.id)).toBe(1);
    // A charger's answer recorded after the stop is not kept, and replaces nothing.
    expect(await store.chargingProfiles.install(installed(cp.id, 1, forTx(session.id, 11_000), clock.at))).toBe(false);
    expect((await store.chargingProfiles.list(cp.id)).map((p) => p.chargingProfileId)).toEqual([7]);
  });

  it('counts unconfirmed profiles per charge point with the last outcome', async () => {
    const cp = await store.chargePoints.create(aChargePoint());
    expect(await store.chargingProfiles.unconfirmed(cp.id)).toEqual({ count: 0, lastStatus: null, lastAt: null });
    await store.chargingProfiles.recordUnconfirmed(cp.id, 'Rejected', '2024-05-01T12:00:00.000Z');
    await store.chargingProfiles.recordUnconfirmed(cp.id, 'timeout', '2024-05-01T12:01:00.000Z');
    expect(await store.chargingProfiles.unconfirmed(cp.id)).toEqual({ count: 2, lastStatus: 'timeout', lastAt: '2024-05-01T12:01:00.000Z' });
    expect((await store.chargingProfiles.unconfirmed('NO-SUCH')).count).toBe(0);
  });

  it('keeps a station grid limit and minimum per session, and a charge point priority', async () => {
    const s = await store.stations.create(aStation({ gridLimitW: 22_000, minPerSessionW: 1_400 }));
    expect(s).toMatchObject({ gridLimitW: 22_000, minPerSessionW: 1_400 });
    expect(await store.stations.update(s.id, { name: 'Renamed' })).toMatchObject({ gridLimitW: 22_000, minPerSessionW: 1_400 });
    expect(await store.stations.update(s.id, { gridLimitW: null })).toMatchObject({ gridLimitW: null, minPerSessionW: 1_400 });
    expect((await store.stations.create(aStation())).gridLimitW).toBeNull();
    await expect(store.stations.update(s.id, { gridLimitW: 0 })).rejects.toThrow(expect.objectContaining({ code: 'CSMS_ERR_VALIDATION' }));
    await expect(store.stations.create(aStation({ minPerSessionW: 1.5 }))).rejects.toThrow(expect.objectContaining({ code: 'CSMS_ERR_VALIDATION' }));

    const cp = await store.chargePoints.create(aChargePoint({ stationId: s.id, priority: 3 }));
    expect(cp.priority).toBe(3);
    expect((await store.chargePoints.update(cp.id, { lenient: true }))?.priority).toBe(3);
    expect((await store.chargePoints.update(cp.id, { priority: 0 }))?.priority).toBe(0);
    expect((await store.chargePoints.list({ stationId: s.id }))[0]?.priority).toBe(0);
  });
});
