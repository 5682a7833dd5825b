import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/csms/domain/ports.ts';
import { aChargePoint, aNewSession, aStation } from '../builders.ts';
import { eachStore, openStore, type TestClock } from '../../helpers/stores.ts';

describe.each(eachStore)('[%s] charge points', (_name, adapter) => {
  let store: Store;
  let clock: TestClock;
  beforeEach(async (ctx) => ({ store, clock } = await openStore(adapter, ctx)));

  it('creates a charge point with its connectors and maps flags', async () => {
    const station = await store.stations.create(aStation());
    const cp = await store.chargePoints.create({ id: 'CP-A', stationId: station.id, lenient: true, authKeyHash: 'h', connectors: 2 });
    expect(cp).toEqual({
      id: 'CP-A',
      stationId: station.id,
      tariffId: null,
      vendor: null,
      model: null,
      serialNumber: null,
      firmwareVersion: null,
      registrationStatus: 'Unknown',
      lenient: true,
      hasAuthKey: true,
      online: false,
      lastSeenAt: null,
      lastBootAt: null,
      priority: 0,
      createdAt: clock.at,
      updatedAt: clock.at,
    });
    expect(await store.chargePoints.authKeyHash('CP-A')).toBe('h');
    expect((await store.chargePoints.connectors('CP-A')).map((c) => [c.connectorId, c.status, c.errorCode])).toEqual([
      [1, 'Unknown', 'NoError'],
      [2, 'Unknown', 'NoError'],
    ]);
  });

  it('rejects a duplicate id and a missing station', async () => {
    await store.chargePoints.create(aChargePoint({ id: 'DUP' }));
    await expect(store.chargePoints.create(aChargePoint({ id: 'DUP' }))).rejects.toThrow(expect.objectContaining({ code: 'CSMS_ERR_CONFLICT' }));
    await expect(store.chargePoints.create(aChargePoint({ stationId: 404 }))).rejects.toThrow(expect.objectContaining({ code: 'CSMS_ERR_NOT_FOUND' }));
    expect(await store.chargePoints.list()).toHaveLength(1);
  });

  it('updates config, clears the auth key with null and adds missing connectors', async () => {
    const cp = await store.chargePoints.create(aChargePoint({ authKeyHash: 'h', connectors: 1 }));
    const updated = await store.chargePoints.update(cp.id, { authKeyHash: null, lenient: true, registrationStatus: 'Accepted', connectors: 3 });
    expect(updated).toMatchObject({ hasAuthKey: false, lenient: true, registrationStatus: 'Accepted' });
    expect(await store.chargePoints.authKeyHash(cp.id)).toBeNull();
    expect((await store.chargePoints.connectors(cp.id)).map((c) => c.connectorId)).toEqual([1, 2, 3]);
    expect(await store.chargePoints.update('nope', { lenient: true })).toBeNull();
  });

  it('tells whether any charge point of a station is online', async () => {
    const station = await store.stations.create(aStation());
    const other = await store.stations.create(aStation());
    const a = await store.chargePoints.create(aChargePoint({ stationId: station.id }));
    await store.chargePoints.create(aChargePoint({ stationId: station.id }));
    const elsewhere = await store.chargePoints.create(aChargePoint({ stationId: other.id }));
    await store.chargePoints.setOnline(elsewhere.id, true, clock.at);
    expect(await store.chargePoints.stationOnline(station.id)).toBe(false);
    await store.chargePoints.setOnline(a.id, true, clock.at);
    expect(await store.chargePoints.stationOnline(station.id)).toBe(true);
    await store.chargePoints.setOnline(a.id, false, clock.at);
    expect(await store.chargePoints.stationOnline(station.id)).toBe(false);
  });

  it('records boot, presence and heartbeats', async () => {
    const cp = await store.chargePoints.create(aChargePoint());
    await store.chargePoints.recordBoot(cp.id, { vendor: 'V', model: 'M', serialNumber: 'S', firmwareVersion: null }, 'Accepted', '2024-05-01T12:01:00Z');
    await store.chargePoints.setOnline(cp.id, true, '2024-05-01T12:02:00Z');
    expect(await store.chargePoints.get(cp.id)).toMatchObject({
      vendor: 'V',
      model: 'M',
      serialNumber: 'S',
      firmwareVersion: null,
      registrationStatus: 'Accepted',
      online: true,
      lastBootAt: '2024-05-01T12:01:00Z',
      lastSeenAt: '2024-05-01T12:02:00Z',
    });
    await store.chargePoints.touch(cp.id, '2024-05-01T12:03:00Z');
    expect((await store.chargePoints.get(cp.id))?.lastSeenAt).toBe('2024-05-01T12:03:00Z');
    await store.chargePoints.setAllOffline();
    expect((await store.chargePoints.get(cp.id))?.online).toBe(false);
  });

  it('records which node holds a charger: a newer connection wins, whatever order the writes land in', async () => {
    const cp = await store.chargePoints.create(aChargePoint());
    await store.chargePoints.setNode(cp.id, 'node-b', 2_000);
    // Node A's write of an older connection (made at 1,000) lands late: node B keeps the charger.
    await store.chargePoints.setNode(cp.id, 'node-a', 1_000);
    expect(await store.chargePoints.nodeOf(cp.id)).toBe('node-b');
    // A's old connection closes: it clears only its own record.
    await store.chargePoints.clearNode(cp.id, 'node-a');
    expect(await store.chargePoints.nodeOf(cp.id)).toBe('node-b');
    await store.chargePoints.setNode(cp.id, 'node-a', 3_000);
    expect(await store.chargePoints.nodeOf(cp.id)).toBe('node-a');
    await store.chargePoints.clearNode(cp.id, 'node-a');
    expect(await store.chargePoints.nodeOf(cp.id)).toBeNull();
  });

  it('upserts connector status, including connector 0 and new ids', async () => {
    const cp = await store.chargePoints.create(aChargePoint({ connectors: 1 }));
    await store.chargePoints.upsertConnector({ chargePointId: cp.id, connectorId: 1, status: 'Charging', errorCode: 'NoError', info: null }, '2024-05-01T12:01:00.000Z');
    await store.chargePoints.upsertConnector({ chargePointId: cp.id, connectorId: 0, status: 'Available', errorCode: 'NoError', info: 'cp' }, '2024-05-01T12:02:00.000Z');
    await store.chargePoints.upsertConnector({ chargePointId: cp.id, connectorId: 1, status: 'Faulted', errorCode: 'GroundFailure', info: 'x' }, '2024-05-01T12:03:00.000Z');
    expect(await store.chargePoints.connectors(cp.id)).toEqual([
      { chargePointId: cp.id, connectorId: 0, status: 'Available', errorCode: 'NoError', info: 'cp', updatedAt: '2024-05-01T12:02:00.000Z' },
      { chargePointId: cp.id, connectorId: 1, status: 'Faulted', errorCode: 'GroundFailure', info: 'x', updatedAt: '2024-05-01T12:03:00.000Z' },
    ]);
    await expect(
      store.chargePoints.upsertConnector({ chargePointId: 'ghost', connectorId: 1, status: 'Available', errorCode: 'NoError', info: null }, '2024-05-01T12:00:00.000Z'),
    ).rejects.toThrow(expect.objectContaining({ code: 'CSMS_ERR_CHARGER_NOT_FOUND' }));
  });

  it('lists by station and deletes with connectors, but not during a session', async () => {
    const s = await store.stations.create(aStation());
    const a = await store.chargePoints.create(aChargePoint({ id: 'A', stationId: s.id }));
    await store.chargePoints.create(aChargePoint({ id: 'B' }));
    expect((await store.chargePoints.list({ stationId: s.id })).map((c) => c.id)).toEqual(['A']);
    expect((await store.chargePoints.list({ limit: 1, offset: 1 })).map((c) => c.id)).toEqual(['B']);

    const { session } = await store.sessions.start(aNewSession({ chargePointId: a.id }));
    await expect(store.chargePoints.delete(a.id)).rejects.toThrow(expect.objectContaining({ code: 'CSMS_ERR_IN_USE' }));
    await store.sessions.complete(session.id, { meterStop: 1000, energyWh: 0, costMinor: 0, stoppedAt: '2024-05-01T11:00:00.000Z', reason: null });
    expect(await store.chargePoints.delete(a.id)).toBe(true);
    expect(await store.chargePoints.connectors(a.id)).toEqual([]);
    expect((await store.sessions.get(session.id))?.chargePointId).toBe('A'); // history stays
    expect(await store.chargePoints.delete(a.id)).toBe(false);
  });
});
