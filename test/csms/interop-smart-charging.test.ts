/**
 * Interop, Smart Charging: an independent OCPP 1.6J peer (`ocpp-rpc` in strict mode, which checks
 * every CALL it gets against the OCA schemas) receives the CSMS's SetChargingProfile, from an admin
 * and from load management, and its ClearChargingProfile and GetCompositeSchedule.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadProfileId } from '../../src/csms/domain/load-manager.ts';
import { aChargePoint, aCustomer, login, startCsms, waitFor, type TestCsms } from '../helpers/csms.ts';
import { RPCClient } from '../helpers/ocpp-rpc.ts';

describe('interop with ocpp-rpc (strict mode): Smart Charging', () => {
  let t: TestCsms;
  let client: InstanceType<typeof RPCClient>;
  const received: { action: string; params: any }[] = [];
  beforeEach(async () => {
    t = await startCsms();
    const station = await t.store.stations.create({ name: 'Interop site', gridLimitW: 7_400 });
    await aChargePoint(t.store, { id: 'INTEROP-SC', stationId: station.id, connectors: 1 });
    client = new RPCClient({ endpoint: t.info.ocppUrl, identity: 'INTEROP-SC', protocols: ['ocpp1.6'], strictMode: true, reconnect: false });
    received.length = 0;
    client.handle('SetChargingProfile', ({ params }) => {
      received.push({ action: 'SetChargingProfile', params });
      return { status: 'Accepted' };
    });
    client.handle('ClearChargingProfile', ({ params }) => {
      received.push({ action: 'ClearChargingProfile', params });
      return { status: 'Accepted' };
    });
    client.handle('GetCompositeSchedule', ({ params }) => {
      received.push({ action: 'GetCompositeSchedule', params });
      return { status: 'Accepted', connectorId: params.connectorId, scheduleStart: new Date().toISOString(), chargingSchedule: { chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 7400 }] } };
    });
    await client.connect();
    await client.call('BootNotification', { chargePointVendor: 'ocpp-rpc', chargePointModel: 'interop' });
  });
  afterEach(async () => {
    await client.close({ force: true });
    await t.close();
  });

  it("accepts the admin's profiles and answers clear and composite schedule", async () => {
    const admin = await login(t, 'admin@ev-csms.local', 'admin-password');
    const profile = {
      chargingProfileId: 1, stackLevel: 2, chargingProfilePurpose: 'TxDefaultProfile', chargingProfileKind: 'Recurring', recurrencyKind: 'Daily',
      validFrom: '2030-01-01T00:00:00.000Z', validTo: '2031-01-01T00:00:00.000Z',
      chargingSchedule: { startSchedule: '2030-01-01T18:00:00.000Z', duration: 14_400, chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 10.5, numberPhases: 3 }, { startPeriod: 7200, limit: 16 }] },
    };
    const set = await t.api('/api/charger/set-charging-profile', { token: admin, body: { chargePointId: 'INTEROP-SC', connectorId: 1, csChargingProfiles: profile } });
    expect(set.status).toBe(200);
    expect(((await set.json()) as any).response).toEqual({ status: 'Accepted' });
    expect(received).toEqual([{ action: 'SetChargingProfile', params: { connectorId: 1, csChargingProfiles: profile } }]);
    expect((await t.store.chargingProfiles.list('INTEROP-SC')).map((p) => p.chargingProfileId)).toEqual([1]);

    const composite = await t.api('/api/charger/get-composite-schedule', { token: admin, body: { chargePointId: 'INTEROP-SC', connectorId: 1, duration: 3600, chargingRateUnit: 'W' } });
    expect(((await composite.json()) as any).response).toMatchObject({ status: 'Accepted', connectorId: 1 });
    const clear = await t.api('/api/charger/clear-charging-profile', { token: admin, body: { chargePointId: 'INTEROP-SC', id: 1 } });
    expect(((await clear.json()) as any).response).toEqual({ status: 'Accepted' });
    expect(await t.store.chargingProfiles.list('INTEROP-SC')).toEqual([]);
  });

  it("accepts load management's TxProfile when a transaction starts", async () => {
    const customer = await aCustomer(t.store, { balance: 5000 });
    await client.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Preparing' });
    const start = await client.call('StartTransaction', { connectorId: 1, idTag: customer.idTag, meterStart: 0, timestamp: new Date().toISOString() });
    const got = await waitFor(() => received.find((r) => r.action === 'SetChargingProfile'));
    expect(got.params).toEqual({
      connectorId: 1,
      csChargingProfiles: {
        chargingProfileId: loadProfileId(start.transactionId), transactionId: start.transactionId, stackLevel: 1,
        chargingProfilePurpose: 'TxProfile', chargingProfileKind: 'Relative',
        chargingSchedule: { chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 7400 }] },
      },
    });
    await waitFor(async () => (await t.store.chargingProfiles.list('INTEROP-SC')).length === 1);
  });
});
