/**
 * Interop: an independent OCPP 1.6J implementation (the `ocpp-rpc` package, strict mode) drives a
 * whole session against our CSMS, and answers commands sent through the REST API.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aChargePoint, aCustomer, aTariffIn, login, startCsms, waitFor, type TestCsms } from '../helpers/csms.ts';
import { RPCClient } from '../helpers/ocpp-rpc.ts';

describe('interop with ocpp-rpc (strict mode)', () => {
  let t: TestCsms;
  let client: InstanceType<typeof RPCClient>;
  beforeEach(async () => {
    t = await startCsms();
    const tariff = await aTariffIn(t.store, { pricePerKwh: 40, sessionFee: 25, pricePerMinute: 0 });
    await aChargePoint(t.store, { id: 'INTEROP-1', tariffId: tariff.id, connectors: 1 });
    client = new RPCClient({ endpoint: t.info.ocppUrl, identity: 'INTEROP-1', protocols: ['ocpp1.6'], strictMode: true, reconnect: false });
    await client.connect();
  });
  afterEach(async () => {
    await client.close({ force: true });
    await t.close();
  });

  it('boots, authorizes, starts, meters and stops; energy, cost and the debit are right', async () => {
    const customer = await aCustomer(t.store, { idTag: 'RPC-TAG', balance: 2000 });
    const boot = await client.call('BootNotification', { chargePointVendor: 'ocpp-rpc', chargePointModel: 'interop' });
    expect(boot.status).toBe('Accepted');
    await client.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available' });
    expect((await client.call('Authorize', { idTag: 'RPC-TAG' })).idTagInfo.status).toBe('Accepted');
    const t0 = new Date();
    const start = await client.call('StartTransaction', { connectorId: 1, idTag: 'RPC-TAG', meterStart: 12_000, timestamp: t0.toISOString() });
    expect(start.idTagInfo.status).toBe('Accepted');
    await client.call('MeterValues', {
      connectorId: 1,
      transactionId: start.transactionId,
      meterValue: [{ timestamp: new Date(t0.getTime() + 60_000).toISOString(), sampledValue: [{ value: '14.5', unit: 'kWh', measurand: 'Energy.Active.Import.Register' }] }],
    });
    await t.settle();
    const live = (await t.store.sessions.get(start.transactionId))!;
    expect(live.energyWh).toBe(2500);
    expect(live.costMinor).toBe(25 + 100);
    await client.call('StopTransaction', { transactionId: start.transactionId, meterStop: 19_500, timestamp: new Date(t0.getTime() + 120_000).toISOString(), reason: 'EVDisconnected' });
    await t.settle();
    const done = (await t.store.sessions.get(start.transactionId))!;
    expect(done.status).toBe('completed');
    expect(done.energyWh).toBe(7500);
    expect(done.costMinor).toBe(25 + 300);
    expect(await t.store.wallet.balance(customer.id)).toBe(2000 - 325);
  });

  it('receives a remote start sent by a customer through the REST API', async () => {
    const customer = await aCustomer(t.store, { idTag: 'APP-TAG', balance: 5000 });
    const received: unknown[] = [];
    client.handle('RemoteStartTransaction', ({ params }) => {
      received.push(params);
      return { status: 'Accepted' };
    });
    await client.call('BootNotification', { chargePointVendor: 'ocpp-rpc', chargePointModel: 'interop' });
    await client.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available' });
    await t.settle();
    const token = await login(t, customer.email, 'password-123');
    const res = await t.api('/api/user/charging/start', { token, body: { chargePointId: 'INTEROP-1', connectorId: 1 } });
    expect(res.status).toBeLessThan(300);
    expect(received).toEqual([{ connectorId: 1, idTag: 'APP-TAG' }]);
    const audit = await waitFor(async () => (await t.store.commands.list('INTEROP-1')).find((c) => c.action === 'RemoteStartTransaction' && c.status === 'answered'));
    expect(audit.response).toEqual({ status: 'Accepted' });
  });

  it('receives ReserveNow and CancelReservation in strict mode; its StartTransaction with the reservationId uses the reservation', async () => {
    const customer = await aCustomer(t.store, { idTag: 'RES-TAG', balance: 5000 });
    const received: { action: string; params: any }[] = [];
    for (const action of ['ReserveNow', 'CancelReservation']) {
      client.handle(action, ({ params }) => {
        received.push({ action, params });
        return { status: 'Accepted' };
      });
    }
    await client.call('BootNotification', { chargePointVendor: 'ocpp-rpc', chargePointModel: 'interop' });
    await client.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available' });
    await t.settle();
    const token = await login(t, customer.email, 'password-123');
    const reserve = () => t.api('/api/user/reservations', { token, body: { chargePointId: 'INTEROP-1', connectorId: 1 } });
    const first = await reserve();
    expect(first.status).toBe(201);
    const r = await first.json() as { id: number; expiresAt: string };
    expect(received).toEqual([{ action: 'ReserveNow', params: { connectorId: 1, expiryDate: r.expiresAt, idTag: 'RES-TAG', reservationId: r.id } }]);
    const cancel = await t.api(`/api/user/reservations/${r.id}`, { method: 'DELETE', token });
    expect(cancel.status).toBe(200);
    expect(received.at(-1)).toEqual({ action: 'CancelReservation', params: { reservationId: r.id } });

    const second = await (await reserve()).json() as { id: number };
    await client.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Reserved' });
    const start = await client.call('StartTransaction', { connectorId: 1, idTag: 'RES-TAG', meterStart: 0, timestamp: new Date().toISOString(), reservationId: second.id });
    expect(start.idTagInfo.status).toBe('Accepted');
    await t.settle();
    expect(await t.store.reservations.get(second.id)).toMatchObject({ status: 'used', sessionId: start.transactionId });
  });
});
