/**
 * What the schema accepts, the processor can apply (docs/ocpp-notes.md: schema-valid but awkward values).
 * Each of these is answered with a CALLRESULT and then applied by the documented rule
 * (src/csms/domain/readings.ts): never an acknowledged event that fails for ever.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aBootNotification, aMeterValue, aMeterValues, aSampledValue, aStartTransaction, aStatusNotification, aStopTransaction, type OcppConnection } from '../../../src/ocpp/index.ts';
import { aChargePoint, aCustomer, aTariffIn, login, startCsms, type TestCsms } from '../../helpers/csms.ts';

let t: TestCsms;
let conn: OcppConnection<any, any, unknown>;

beforeEach(async () => {
  t = await startCsms({ processingMaxAttempts: 2, processingRetryDelayMs: 10 });
  const tariff = await aTariffIn(t.store, { pricePerKwh: 100, pricePerMinute: 1, sessionFee: 0 });
  const cp = (await aChargePoint(t.store, { tariffId: tariff.id, connectors: 1 })).id;
  conn = await t.connect(cp);
  await conn.call('BootNotification', aBootNotification());
});
afterEach(async () => {
  await t.close();
});

/** Nothing failed, nothing was dead-lettered. */
async function expectAllApplied(): Promise<void> {
  await t.settle();
  expect((await t.csms.stats()).processor.failed).toBe(0);
  const token = await login(t, 'admin@ev-csms.local', 'admin-password');
  const dead = await t.api('/api/cms/dead-letters', { token });
  expect(await dead.json()).toMatchObject({ total: 0 });
}

const LEAP = '2030-12-31T23:59:60Z';
// eslint-disable-next-line no-loss-of-precision -- past 2^63 on purpose: what JSON.parse makes of a charger's huge integer
const HUGE = [1e300, 9223372036854775807, Number.MAX_SAFE_INTEGER + 2];

describe('awkward but schema-valid values', () => {
  it('a leap-second timestamp: StartTransaction is accepted (no InternalError), the session starts and stops', async () => {
    const c = await aCustomer(t.store, { balance: 10_000 });
    const start = await conn.call('StartTransaction', aStartTransaction({ idTag: c.idTag!, meterStart: 100, timestamp: '2024-06-30T23:59:60Z' }));
    expect(start.idTagInfo.status).toBe('Accepted');
    const again = await conn.call('StartTransaction', aStartTransaction({ idTag: c.idTag!, meterStart: 100, timestamp: '2024-06-30T23:59:60Z' }));
    expect(again.transactionId).toBe(start.transactionId);
    expect(await t.store.sessions.get(start.transactionId)).toMatchObject({ startedAt: '2024-06-30T23:59:59.999Z', review: null });
    await conn.call('MeterValues', aMeterValues({ transactionId: start.transactionId, meterValue: [aMeterValue({ timestamp: '2024-06-30T23:59:60Z', sampledValue: [aSampledValue({ value: '600' })] })] }));
    await conn.call('StatusNotification', aStatusNotification({ status: 'Charging', timestamp: LEAP }));
    await conn.call('StopTransaction', aStopTransaction({ transactionId: start.transactionId, meterStop: 1100, timestamp: LEAP }));
    await expectAllApplied();
    // A stop time more than a day ahead of the CSMS is not believed: the time it arrived counts, flagged.
    const s = (await t.store.sessions.get(start.transactionId))!;
    expect(s).toMatchObject({ status: 'completed', meterStop: 1100, energyWh: 1000 });
    expect(s.review).toMatch(/StopTransaction.timestamp .* not believable/);
    expect(Date.parse(s.stoppedAt!)).toBeLessThanOrEqual(Date.now());
    expect((await t.store.sessions.meterSamples(s.id)).map((m) => m.timestamp)).toEqual(['2024-06-30T23:59:59.999Z']);
  });

  it.each(HUGE)('meterStop %d: closed, billed up to the last usable reading and flagged for review', async (meterStop) => {
    const c = await aCustomer(t.store, { balance: 10_000 });
    const start = await conn.call('StartTransaction', aStartTransaction({ idTag: c.idTag!, meterStart: 1000 }));
    await conn.call('MeterValues', aMeterValues({ transactionId: start.transactionId, meterValue: [aMeterValue({ sampledValue: [aSampledValue({ value: '3000' })] })] }));
    await conn.call('StopTransaction', aStopTransaction({ transactionId: start.transactionId, meterStop }));
    await expectAllApplied();
    const s = (await t.store.sessions.get(start.transactionId))!;
    expect(s).toMatchObject({ status: 'completed', closedBy: 'charger', meterStop: 3000, energyWh: 2000 });
    expect(s.review).toMatch(/meterStop .* not usable/);
    expect(await t.store.wallet.balance(c.id)).toBe(10_000 - s.costMinor);
  });

  it('a meterStart of 1e300 and register readings of 1e300: the first usable reading is the start, the rest is ignored', async () => {
    const c = await aCustomer(t.store, { balance: 10_000 });
    const start = await conn.call('StartTransaction', aStartTransaction({ idTag: c.idTag!, meterStart: 1e300 }));
    expect(start.idTagInfo.status).toBe('Accepted');
    for (const value of ['5000', '1e300', '1e999', '6500']) {
      await conn.call('MeterValues', aMeterValues({ transactionId: start.transactionId, meterValue: [aMeterValue({ sampledValue: [aSampledValue({ value }), aSampledValue({ value, measurand: 'Power.Active.Import', unit: 'W' })] })] }));
    }
    await conn.call('StopTransaction', aStopTransaction({ transactionId: start.transactionId, meterStop: 7000 }));
    await expectAllApplied();
    const s = (await t.store.sessions.get(start.transactionId))!;
    expect(s).toMatchObject({ status: 'completed', meterStart: 5000, meterStop: 7000, energyWh: 2000, meterStartPending: false });
    expect(s.review).toMatch(/meterStart .* not a usable register reading/);
  });

  it('a StartTransaction retried after its unusable meterStart was replaced gets the same transactionId', async () => {
    const c = await aCustomer(t.store, { balance: 10_000 });
    const req = aStartTransaction({ idTag: c.idTag!, meterStart: 1e300 });
    const first = await conn.call('StartTransaction', req);
    await conn.call('MeterValues', aMeterValues({ meterValue: [aMeterValue({ sampledValue: [aSampledValue({ value: '5000' })] })] }));
    await expectAllApplied();
    expect(await t.store.sessions.get(first.transactionId)).toMatchObject({ meterStart: 5000, meterStartPending: false });
    // Its answer was lost: the charger sends the same StartTransaction again.
    const again = await conn.call('StartTransaction', req);
    expect(again).toEqual(first);
    expect((await t.store.sessions.get(first.transactionId))!.status).toBe('active');
  });

  it('charger clocks in 1971 and 2099 are replaced by the time the CSMS received the message', async () => {
    const c = await aCustomer(t.store, { balance: 10_000 });
    const before = Date.now();
    const start = await conn.call('StartTransaction', aStartTransaction({ idTag: c.idTag!, meterStart: 0, timestamp: '1971-01-01T00:00:00Z' }));
    await conn.call('StopTransaction', aStopTransaction({ transactionId: start.transactionId, meterStop: 1000, timestamp: '2099-01-01T00:00:00Z' }));
    await expectAllApplied();
    const s = (await t.store.sessions.get(start.transactionId))!;
    expect(Date.parse(s.startedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(s.stoppedAt!)).toBeLessThanOrEqual(Date.now());
    // 100/kWh for 1 kWh, plus at most a started minute or two: not 128 years of minutes.
    expect(s.costMinor).toBeLessThan(110);
    expect(s.review).toMatch(/1971/);
  });
});
