/**
 * No session stays open for ever: the CSMS closes one itself when its charger reboots, reports the
 * connector Available, or starts a new transaction on that connector; a StopTransaction that comes
 * later still reconciles; an admin can close a stale one. Refused starts are `refused`, not
 * completed. Real charger connections against a real CSMS.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aBootNotification, aMeterValue, aMeterValues, aSampledValue, aStartTransaction, aStatusNotification, aStopTransaction, type OcppConnection } from '../../../src/ocpp/index.ts';
import { aChargePoint, aCustomer, aTariffIn, login, startCsms, type TestCsms } from '../../helpers/csms.ts';

let t: TestCsms;
let cp: string;
let conn: OcppConnection<any, any, unknown>;
let admin: string;

beforeEach(async () => {
  t = await startCsms({ sessionStaleAfterS: 60 });
  const tariff = await aTariffIn(t.store, { pricePerKwh: 100, pricePerMinute: 0, sessionFee: 0 });
  cp = (await aChargePoint(t.store, { tariffId: tariff.id, connectors: 2 })).id;
  conn = await t.connect(cp);
  await conn.call('BootNotification', aBootNotification());
  admin = await login(t, 'admin@ev-csms.local', 'admin-password');
});
afterEach(async () => {
  await t.close();
});

/** A started transaction with one MeterValues at `registerWh`, processed. */
async function charging(idTag: string, connectorId = 1, registerWh = 5000) {
  const { transactionId, idTagInfo } = await conn.call('StartTransaction', aStartTransaction({ connectorId, idTag, meterStart: 1000 }));
  expect(idTagInfo.status).toBe('Accepted');
  await conn.call('MeterValues', aMeterValues({ connectorId, transactionId, meterValue: [aMeterValue({ sampledValue: [aSampledValue({ value: String(registerWh) })] })] }));
  await t.settle();
  return transactionId as number;
}

const session = async (id: number) => (await t.store.sessions.get(id))!;
const charges = async (customerId: number) => (await t.store.wallet.list(customerId)).filter((e) => e.kind !== 'topup');

describe('the CSMS closes sessions their charger has lost', () => {
  it('on BootNotification: billed from the last meter value; the late StopTransaction reconciles once, a duplicate fills in its reason', async () => {
    const c = await aCustomer(t.store, { balance: 10_000 });
    const tx = await charging(c.idTag!, 1, 5000);
    await conn.call('BootNotification', aBootNotification());
    await t.settle();
    expect(await session(tx)).toMatchObject({ status: 'completed', closedBy: 'csms', meterStop: 5000, energyWh: 4000, costMinor: 400, stopReason: null });
    expect((await session(tx)).closeNote).toMatch(/rebooted/);
    expect(await t.store.wallet.balance(c.id)).toBe(9600);

    // The charger's own stop after the reboot (E2 §4.8: PowerLoss), with more energy than the CSMS saw.
    await conn.call('StopTransaction', aStopTransaction({ transactionId: tx, meterStop: 6000, reason: 'PowerLoss' }));
    await conn.call('StopTransaction', aStopTransaction({ transactionId: tx, meterStop: 6000, reason: 'PowerLoss' }));
    await t.settle();
    expect(await session(tx)).toMatchObject({ status: 'completed', meterStop: 6000, energyWh: 5000, costMinor: 500, stopReason: 'PowerLoss', closedBy: 'csms' });
    expect((await charges(c.id)).map((e) => [e.kind, e.amountMinor])).toEqual([['adjustment', -100], ['charge', -400]]);
    expect(await t.store.wallet.balance(c.id)).toBe(9500);
  });

  it('a late StopTransaction replaces the close: its time counts for a per-minute tariff, and the difference is settled either way', async () => {
    const tariff = await aTariffIn(t.store, { pricePerKwh: 0, pricePerMinute: 10, sessionFee: 0 });
    const perMinute = (await aChargePoint(t.store, { tariffId: tariff.id, connectors: 1 })).id;
    const pc = await t.connect(perMinute);
    await pc.call('BootNotification', aBootNotification());
    const c = await aCustomer(t.store, { balance: 10_000 });
    const start = new Date(Date.now() - 60 * 60_000);
    const at = (min: number) => new Date(start.getTime() + min * 60_000).toISOString();
    const { transactionId: tx } = await pc.call('StartTransaction', aStartTransaction({ idTag: c.idTag!, meterStart: 0, timestamp: at(0) }));
    await pc.call('MeterValues', aMeterValues({ transactionId: tx, meterValue: [aMeterValue({ timestamp: at(10), sampledValue: [aSampledValue({ value: '2000' })] })] }));
    await pc.call('BootNotification', aBootNotification());
    await t.settle();
    // Closed by the CSMS at the last reading: 10 minutes.
    expect(await session(tx)).toMatchObject({ status: 'completed', closedBy: 'csms', costMinor: 100, stoppedAt: at(10) });
    // The charger says it stopped at minute 30 with the same register: 20 more minutes are owed.
    await pc.call('StopTransaction', aStopTransaction({ transactionId: tx, meterStop: 2000, timestamp: at(30), reason: 'PowerLoss' }));
    expect(await session(tx)).toMatchObject({ costMinor: 300, stoppedAt: at(30), stopReason: 'PowerLoss', meterStop: 2000 });
    expect((await charges(c.id)).map((e) => [e.kind, e.amountMinor])).toEqual([['adjustment', -200], ['charge', -100]]);
    // Retried as is: nothing more.
    await pc.call('StopTransaction', aStopTransaction({ transactionId: tx, meterStop: 2000, timestamp: at(30), reason: 'PowerLoss' }));
    expect(await charges(c.id)).toHaveLength(2);
    expect(await t.store.wallet.balance(c.id)).toBe(10_000 - 300);
  });

  it('on StatusNotification Available for its connector only, and not for a session that began after it', async () => {
    const a = await aCustomer(t.store, { balance: 10_000 });
    const b = await aCustomer(t.store, { balance: 10_000 });
    const onOne = await charging(a.idTag!, 1, 3000);
    const onTwo = await charging(b.idTag!, 2, 3000);
    await conn.call('StatusNotification', aStatusNotification({ connectorId: 1, status: 'Available' }));
    await t.settle();
    expect(await session(onOne)).toMatchObject({ status: 'completed', closedBy: 'csms', energyWh: 2000, costMinor: 200 });
    expect((await session(onTwo)).status).toBe('active');
    // A driver may start on connector 1 again, and an Available that arrived before the start (not
    // processed yet) does not end the new session.
    const again = await conn.call('StartTransaction', aStartTransaction({ connectorId: 1, idTag: a.idTag!, meterStart: 3000 }));
    expect(again.idTagInfo.status).toBe('Accepted');
    await t.settle();
    expect((await session(again.transactionId)).status).toBe('active');
  });

  it('when a new transaction starts on the same connector', async () => {
    const a = await aCustomer(t.store, { balance: 10_000 });
    const b = await aCustomer(t.store, { balance: 10_000 });
    const old = await charging(a.idTag!, 1, 2500);
    const next = await conn.call('StartTransaction', aStartTransaction({ connectorId: 1, idTag: b.idTag!, meterStart: 2600 }));
    expect(next.idTagInfo.status).toBe('Accepted');
    expect(await session(old)).toMatchObject({ status: 'completed', closedBy: 'csms', energyWh: 1500, costMinor: 150 });
    expect((await session(old)).closeNote).toContain(`transaction ${next.transactionId}`);
    expect(await t.store.wallet.balance(a.id)).toBe(10_000 - 150);
  });
});

describe('refused starts', () => {
  it('are stored as refused with the status they got (ConcurrentTx, Blocked, Expired, insufficient balance), and a retry gets the same answer', async () => {
    const busy = await aCustomer(t.store, { balance: 10_000 });
    await charging(busy.idTag!, 1);
    const blocked = await aCustomer(t.store, { balance: 10_000, blocked: true });
    const expired = await aCustomer(t.store, { balance: 10_000 });
    await t.store.users.update(expired.id, { idTagExpiresAt: '2020-01-01T00:00:00.000Z' });
    const poor = await aCustomer(t.store, { balance: 50 });
    const cases: [string, string][] = [[busy.idTag!, 'ConcurrentTx'], [blocked.idTag!, 'Blocked'], [expired.idTag!, 'Expired'], [poor.idTag!, 'Blocked'], ['NOBODY', 'Invalid']];
    for (const [idTag, status] of cases) {
      const req = aStartTransaction({ connectorId: 2, idTag, meterStart: 0 });
      const first = await conn.call('StartTransaction', req);
      expect(first.idTagInfo.status, idTag).toBe(status);
      expect(await session(first.transactionId)).toMatchObject({ status: 'refused', refusal: status, stopReason: null, closedBy: null });
      const retry = await conn.call('StartTransaction', req);
      expect(retry).toMatchObject({ transactionId: first.transactionId, idTagInfo: { status } });
      // The charger ends it (StopTransactionOnInvalidId); nothing is billed, nothing changes.
      await conn.call('StopTransaction', aStopTransaction({ transactionId: first.transactionId, meterStop: 10, reason: 'DeAuthorized' }));
    }
    await t.settle();
    const refused = await t.store.sessions.list({ status: 'refused' });
    expect(refused).toHaveLength(cases.length);
    expect(refused.every((s) => s.costMinor === 0 && s.status === 'refused')).toBe(true);
    expect(await charges(poor.id)).toEqual([]);
    // Authorize says Expired too, with the expiry date (E2 §7.23).
    expect(await conn.call('Authorize', { idTag: expired.idTag! })).toEqual({ idTagInfo: { status: 'Expired', expiryDate: '2020-01-01T00:00:00.000Z' } });
  });
});

describe('stale sessions and closing by hand', () => {
  it('an admin sees a silent session flagged and closes it with a reason; the close is audited and billed once', async () => {
    const c = await aCustomer(t.store, { balance: 10_000 });
    const tx = await charging(c.idTag!, 1, 4000);
    const listStale = async () => (await (await t.api('/api/cms/sessions?stale=true', { token: admin })).json()) as { total: number; items: { id: number; stale: boolean }[] };
    expect((await listStale()).total).toBe(0);
    // Nothing more from the session or its charger for longer than SESSION_STALE_AFTER_S (60 s here).
    const old = new Date(Date.now() - 120_000).toISOString();
    await t.store.transaction(async () => {
      await t.store.sessions.updateProgress(tx, { ...await session(tx), lastMeterAt: old, lastReportAt: old });
      await t.store.chargePoints.touch(cp, old);
    });
    const stale = await listStale();
    expect(stale.items.map((s) => [s.id, s.stale])).toEqual([[tx, true]]);

    const res = await t.api(`/api/cms/sessions/${tx}/close`, { token: admin, body: { reason: 'charger offline for good' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: tx, status: 'completed', closedBy: 'admin', energyWh: 3000, costMinor: 300, stale: false });
    expect((await session(tx)).closeNote).toBe('charger offline for good (closed by admin@ev-csms.local)');
    expect(await t.store.wallet.balance(c.id)).toBe(9700);
    const again = await t.api(`/api/cms/sessions/${tx}/close`, { token: admin, body: { reason: 'twice' } });
    expect(again.status).toBe(409);
    expect((await again.json()).error.code).toBe('CSMS_ERR_SESSION_NOT_ACTIVE');
    const customerToken = await login(t, c.email, 'password-123');
    expect((await t.api(`/api/cms/sessions/${tx}/close`, { token: customerToken, body: { reason: 'mine' } })).status).toBe(403);
    // The customer sees that an admin closed it, not the admin's note.
    expect(await (await t.api(`/api/user/sessions/${tx}`, { token: customerToken })).json()).toMatchObject({ closedBy: 'admin', closeNote: null, review: null });
  });
});
