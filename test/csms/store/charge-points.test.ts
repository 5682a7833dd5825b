import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqliteStore } from '../../../src/csms/store/index.ts';
import { aChargePoint, aNewSession, aStation } from '../builders.ts';
import { memoryStore } from './fixtures.ts';

describe('charge points', () => {
  let store: SqliteStore;
  let clock: { at: string };
  beforeEach(() => ({ store, clock } = memoryStore()));
  afterEach(() => store.close());

  it('creates a charge point with its connectors and maps flags', () => {
    const station = store.stations.create(aStation());
    const cp = store.chargePoints.create({ id: 'CP-A', stationId: station.id, lenient: true, authKeyHash: 'h', connectors: 2 });
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
      createdAt: clock.at,
      updatedAt: clock.at,
    });
    expect(store.chargePoints.authKeyHash('CP-A')).toBe('h');
    expect(store.chargePoints.connectors('CP-A').map((c) => [c.connectorId, c.status, c.errorCode])).toEqual([
      [1, 'Unknown', 'NoError'],
      [2, 'Unknown', 'NoError'],
    ]);
  });

  it('rejects a duplicate id and a missing station', () => {
    store.chargePoints.create(aChargePoint({ id: 'DUP' }));
    expect(() => store.chargePoints.create(aChargePoint({ id: 'DUP' }))).toThrow(expect.objectContaining({ code: 'CSMS_ERR_CONFLICT' }));
    expect(() => store.chargePoints.create(aChargePoint({ stationId: 404 }))).toThrow(expect.objectContaining({ code: 'CSMS_ERR_NOT_FOUND' }));
    expect(store.chargePoints.list()).toHaveLength(1);
  });

  it('updates config, clears the auth key with null and adds missing connectors', () => {
    const cp = store.chargePoints.create(aChargePoint({ authKeyHash: 'h', connectors: 1 }));
    const updated = store.chargePoints.update(cp.id, { authKeyHash: null, lenient: true, registrationStatus: 'Accepted', connectors: 3 });
    expect(updated).toMatchObject({ hasAuthKey: false, lenient: true, registrationStatus: 'Accepted' });
    expect(store.chargePoints.authKeyHash(cp.id)).toBeNull();
    expect(store.chargePoints.connectors(cp.id).map((c) => c.connectorId)).toEqual([1, 2, 3]);
    expect(store.chargePoints.update('nope', { lenient: true })).toBeNull();
  });

  it('tells whether any charge point of a station is online', () => {
    const station = store.stations.create(aStation());
    const other = store.stations.create(aStation());
    const a = store.chargePoints.create(aChargePoint({ stationId: station.id }));
    store.chargePoints.create(aChargePoint({ stationId: station.id }));
    const elsewhere = store.chargePoints.create(aChargePoint({ stationId: other.id }));
    store.chargePoints.setOnline(elsewhere.id, true, clock.at);
    expect(store.chargePoints.stationOnline(station.id)).toBe(false);
    store.chargePoints.setOnline(a.id, true, clock.at);
    expect(store.chargePoints.stationOnline(station.id)).toBe(true);
    store.chargePoints.setOnline(a.id, false, clock.at);
    expect(store.chargePoints.stationOnline(station.id)).toBe(false);
  });

  it('records boot, presence and heartbeats', () => {
    const cp = store.chargePoints.create(aChargePoint());
    store.chargePoints.recordBoot(cp.id, { vendor: 'V', model: 'M', serialNumber: 'S', firmwareVersion: null }, 'Accepted', '2024-05-01T12:01:00Z');
    store.chargePoints.setOnline(cp.id, true, '2024-05-01T12:02:00Z');
    expect(store.chargePoints.get(cp.id)).toMatchObject({
      vendor: 'V',
      model: 'M',
      serialNumber: 'S',
      firmwareVersion: null,
      registrationStatus: 'Accepted',
      online: true,
      lastBootAt: '2024-05-01T12:01:00Z',
      lastSeenAt: '2024-05-01T12:02:00Z',
    });
    store.chargePoints.touch(cp.id, '2024-05-01T12:03:00Z');
    expect(store.chargePoints.get(cp.id)?.lastSeenAt).toBe('2024-05-01T12:03:00Z');
    store.chargePoints.setAllOffline();
    expect(store.chargePoints.get(cp.id)?.online).toBe(false);
  });

  it('upserts connector status, including connector 0 and new ids', () => {
    const cp = store.chargePoints.create(aChargePoint({ connectors: 1 }));
    store.chargePoints.upsertConnector({ chargePointId: cp.id, connectorId: 1, status: 'Charging', errorCode: 'NoError', info: null }, 't1');
    store.chargePoints.upsertConnector({ chargePointId: cp.id, connectorId: 0, status: 'Available', errorCode: 'NoError', info: 'cp' }, 't2');
    store.chargePoints.upsertConnector({ chargePointId: cp.id, connectorId: 1, status: 'Faulted', errorCode: 'GroundFailure', info: 'x' }, 't3');
    expect(store.chargePoints.connectors(cp.id)).toEqual([
      { chargePointId: cp.id, connectorId: 0, status: 'Available', errorCode: 'NoError', info: 'cp', updatedAt: 't2' },
      { chargePointId: cp.id, connectorId: 1, status: 'Faulted', errorCode: 'GroundFailure', info: 'x', updatedAt: 't3' },
    ]);
    expect(() =>
      store.chargePoints.upsertConnector({ chargePointId: 'ghost', connectorId: 1, status: 'Available', errorCode: 'NoError', info: null }, 't'),
    ).toThrow(expect.objectContaining({ code: 'CSMS_ERR_CHARGER_NOT_FOUND' }));
  });

  it('lists by station and deletes with connectors, but not during a session', () => {
    const s = store.stations.create(aStation());
    const a = store.chargePoints.create(aChargePoint({ id: 'A', stationId: s.id }));
    store.chargePoints.create(aChargePoint({ id: 'B' }));
    expect(store.chargePoints.list({ stationId: s.id }).map((c) => c.id)).toEqual(['A']);
    expect(store.chargePoints.list({ limit: 1, offset: 1 }).map((c) => c.id)).toEqual(['B']);

    const { session } = store.sessions.start(aNewSession({ chargePointId: a.id }));
    expect(() => store.chargePoints.delete(a.id)).toThrow(expect.objectContaining({ code: 'CSMS_ERR_IN_USE' }));
    store.sessions.complete(session.id, { meterStop: 1000, energyWh: 0, costMinor: 0, stoppedAt: 'x', reason: null });
    expect(store.chargePoints.delete(a.id)).toBe(true);
    expect(store.chargePoints.connectors(a.id)).toEqual([]);
    expect(store.sessions.get(session.id)?.chargePointId).toBe('A'); // history stays
    expect(store.chargePoints.delete(a.id)).toBe(false);
  });
});
