import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aBootNotification, aMeterValue, aMeterValues, aSampledValue, aStartTransaction, aStopTransaction, type OcppConnection } from '../../../src/ocpp/index.ts';
import { aChargePoint, aCustomer, aTariffIn, startCsms, type TestCsms } from '../../helpers/csms.ts';

const T0 = '2026-11-22T10:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();

describe('gateway → processor → store: a charging session', () => {
  let t: TestCsms;
  let cp: OcppConnection<any, any, unknown>;
  beforeEach(async () => {
    t = await startCsms();
    const tariff = await aTariffIn(t.store, { pricePerKwh: 30, sessionFee: 50, pricePerMinute: 10 });
    await aChargePoint(t.store, { id: 'CP-FLOW', tariffId: tariff.id });
    cp = await t.connect('CP-FLOW');
    await cp.call('BootNotification', aBootNotification());
  });
  afterEach(async () => {
    await t.close();
  });

  it('authorizes, starts, meters, stops, bills and debits the wallet once', async () => {
    const customer = await aCustomer(t.store, { idTag: 'FLOW-TAG', balance: 1000 });
    expect(await cp.call('Authorize', { idTag: 'FLOW-TAG' })).toEqual({ idTagInfo: { status: 'Accepted' } });

    const start = aStartTransaction({ idTag: 'FLOW-TAG', meterStart: 1000, timestamp: T0 });
    const started = await cp.call('StartTransaction', start);
    expect(started.idTagInfo.status).toBe('Accepted');
    // Durable before the answer: the row is there the moment the CALLRESULT arrives.
    expect((await t.store.sessions.get(started.transactionId))?.status).toBe('active');

    const retried = await cp.call('StartTransaction', start);
    expect(retried.transactionId).toBe(started.transactionId);
    expect(await t.store.sessions.list({ chargePointId: 'CP-FLOW' })).toHaveLength(1);

    await cp.call('MeterValues', aMeterValues({
      transactionId: started.transactionId,
      meterValue: [aMeterValue({ timestamp: at(30), sampledValue: [aSampledValue({ value: '6000' }), aSampledValue({ measurand: 'Power.Active.Import', unit: 'W', value: '7400' })] })],
    }));
    await t.settle();
    const live = (await t.store.sessions.get(started.transactionId))!;
    expect(live.energyWh).toBe(5000);
    expect(live.powerW).toBe(7400);
    expect(live.costMinor).toBe(50 + 150 + 10); // fee + 5 kWh × 30 + 1 started minute × 10

    const stop = aStopTransaction({ transactionId: started.transactionId, meterStop: 11_000, timestamp: at(90), idTag: 'FLOW-TAG' });
    expect(await cp.call('StopTransaction', stop)).toEqual({ idTagInfo: { status: 'Accepted' } });
    await t.settle();
    const done = (await t.store.sessions.get(started.transactionId))!;
    expect(done.status).toBe('completed');
    expect(done.energyWh).toBe(10_000);
    expect(done.costMinor).toBe(50 + 300 + 20); // 10 kWh, 2 started minutes
    expect(await t.store.wallet.balance(customer.id)).toBe(1000 - 370);

    // The charger retries its StopTransaction: answered, but never billed twice.
    await cp.call('StopTransaction', stop);
    await t.settle();
    expect(await t.store.wallet.balance(customer.id)).toBe(630);
    expect((await t.store.wallet.list(customer.id)).filter((e) => e.kind === 'charge')).toHaveLength(1);
  });

  it('refuses a start with too little balance, with a transactionId and idTagInfo Blocked', async () => {
    await aCustomer(t.store, { idTag: 'POOR-TAG', balance: 10 });
    expect(await cp.call('Authorize', { idTag: 'POOR-TAG' })).toEqual({ idTagInfo: { status: 'Blocked' } });
    const res = await cp.call('StartTransaction', aStartTransaction({ idTag: 'POOR-TAG' }));
    expect(res.idTagInfo.status).toBe('Blocked');
    expect(Number.isInteger(res.transactionId)).toBe(true);
    expect(await t.store.sessions.activeOnConnector('CP-FLOW', 1)).toBeNull();
  });

  it('answers an unknown idTag with Invalid and a blocked one with Blocked (TC_023)', async () => {
    await aCustomer(t.store, { idTag: 'BLOCKED-TAG', balance: 5000, blocked: true });
    expect(await cp.call('Authorize', { idTag: 'NOBODY' })).toEqual({ idTagInfo: { status: 'Invalid' } });
    expect(await cp.call('Authorize', { idTag: 'BLOCKED-TAG' })).toEqual({ idTagInfo: { status: 'Blocked' } });
    const start = await cp.call('StartTransaction', aStartTransaction({ idTag: 'NOBODY' }));
    expect(start.idTagInfo.status).toBe('Invalid');
  });

  it('answers a StopTransaction for an unknown transaction with a CALLRESULT', async () => {
    const res = await cp.call('StopTransaction', aStopTransaction({ transactionId: 999_999 }));
    expect(res).toEqual({});
  });

  it('records connector status from StatusNotification', async () => {
    await cp.call('StatusNotification', { connectorId: 2, errorCode: 'NoError', status: 'Faulted', timestamp: at(1) });
    await t.settle();
    expect((await t.store.chargePoints.connectors('CP-FLOW')).find((c) => c.connectorId === 2)?.status).toBe('Faulted');
  });
});
