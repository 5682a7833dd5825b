/**
 * Balances cannot run away: a session reserves the customer's balance at its start, the CSMS stops
 * it (RemoteStopTransaction) before one more meter interval would take the wallet below zero, and
 * the hold is released once at the stop. One currency, and a point without a tariff is free. A real
 * CSMS, a charger that answers like a real one, the REST API as the customer's app uses it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aChargePoint, aCustomer, aTariffIn, login, startCsms, waitFor, type TestCsms } from '../../helpers/csms.ts';
import { aTestCharger, type TestCharger } from '../../helpers/sim-charger.ts';

const CP = 'CP-BAL';
const PASSWORD = 'password-123';

let t: TestCsms;
let charger: TestCharger;

async function json<T = any>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

afterEach(async () => {
  await t.close();
});

describe('a session stops when the balance is used up', () => {
  beforeEach(async () => {
    t = await startCsms({ minStartBalance: 100 });
    // 1.00 per kWh: each 1 kWh interval costs 100.
    const tariff = await aTariffIn(t.store, { pricePerKwh: 100, pricePerMinute: 0, sessionFee: 0 });
    await aChargePoint(t.store, { id: CP, tariffId: tariff.id, connectors: 1 });
    charger = await aTestCharger(t, CP, { meterStartWh: 0 });
    await t.settle();
  });

  async function startFor(balance: number) {
    const c = await aCustomer(t.store, { balance });
    const token = await login(t, c.email, PASSWORD);
    await json(await t.api('/api/user/charging/start', { token, body: { chargePointId: CP, connectorId: 1 } }), 202);
    const tx = await waitFor(() => charger.transaction);
    await t.settle();
    return { c, token, tx };
  }

  const stopsSent = () => charger.received.filter((r) => r.action === 'RemoteStopTransaction');

  it('asks the charger to stop before the next interval would overdraw, shows what is left, releases the hold once', async () => {
    const { c, token, tx } = await startFor(350);
    expect(await t.store.holds.get(tx.transactionId)).toMatchObject({ amountMinor: 350, releasedAt: null });

    await charger.meter(1000, 7000, 60);
    await t.settle();
    // 100 spent, 250 left: another interval like this one still fits.
    const active = await json<any>(await t.api('/api/user/sessions/active', { token }), 200);
    expect(active.items[0]).toMatchObject({ id: tx.transactionId, costMinor: 100, balanceLeftMinor: 250, autoStop: null });
    expect(stopsSent()).toHaveLength(0);

    await charger.meter(2000, 7000, 120);
    await t.settle();
    expect(stopsSent()).toHaveLength(0);
    // 300 spent, 50 left, and the next interval would cost 100: stop now.
    await charger.meter(3000, 7000, 180);
    await waitFor(() => charger.stopped);
    await t.settle();
    expect(stopsSent()).toEqual([{ action: 'RemoteStopTransaction', payload: { transactionId: tx.transactionId } }]);

    const done = await json<any>(await t.api(`/api/user/sessions/${tx.transactionId}`, { token }), 200);
    expect(done).toMatchObject({ status: 'completed', costMinor: 300, autoStop: 'balance', balanceLeftMinor: null, stopReason: 'Remote' });
    expect(await t.store.wallet.balance(c.id)).toBe(50);
    const hold = (await t.store.holds.get(tx.transactionId))!;
    expect(hold.releasedAt).not.toBeNull();
    // The charger retries its stop (no answer came, say): nothing is released or debited twice.
    await charger.conn.call('StopTransaction', { transactionId: tx.transactionId, meterStop: 3000, timestamp: charger.stopped!.stoppedAt, reason: 'Remote' });
    await t.settle();
    expect(await t.store.holds.get(tx.transactionId)).toEqual(hold);
    expect(await t.store.wallet.balance(c.id)).toBe(50);
  });

  it('ends at most one interval below zero when the charger goes on charging until it stops', async () => {
    const { c, tx } = await startFor(250);
    // The charger keeps drawing for a while after the request: it reports a full interval more at the stop.
    charger.stopWith = { meterStopWh: 3000, atS: 200 };
    await charger.meter(1000, 7000, 60);
    await t.settle();
    await charger.meter(2000, 7000, 120);
    await waitFor(() => charger.stopped);
    await t.settle();
    const interval = 100;
    expect(await t.store.sessions.get(tx.transactionId)).toMatchObject({ status: 'completed', costMinor: 300 });
    expect(await t.store.wallet.balance(c.id)).toBe(-50);
    expect(await t.store.wallet.balance(c.id)).toBeGreaterThanOrEqual(-interval);
  });

  it('asks once a minute, not at every reading, while a charger refuses to stop', async () => {
    const { tx } = await startFor(150);
    charger.sim.refusesRemoteStop = true;
    await charger.meter(1000, 7000, 60);
    await t.settle();
    await waitFor(() => stopsSent().length === 1);
    await charger.meter(1100, 7000, 70);
    await charger.meter(1200, 7000, 80);
    await t.settle();
    // What is under test is an absence: no second RemoteStop within this window.
    await new Promise((r) => setTimeout(r, 100));
    expect(stopsSent()).toHaveLength(1);
    expect((await t.store.sessions.get(tx.transactionId))!.status).toBe('active');
  });

  it('lets a session go on when the customer tops up while charging', async () => {
    const { c, tx } = await startFor(250);
    await charger.meter(1000, 7000, 60);
    await t.settle();
    await t.store.wallet.add({ customerId: c.id, amountMinor: 1000, kind: 'topup', createdAt: new Date().toISOString() });
    await charger.meter(2000, 7000, 120);
    await charger.meter(3000, 7000, 180);
    await t.settle();
    expect(stopsSent()).toHaveLength(0);
    expect(await t.store.sessions.get(tx.transactionId)).toMatchObject({ status: 'active', costMinor: 300 });
  });
});

describe('one currency', () => {
  it("refuses a tariff in another currency than the network's, and takes the network's by default", async () => {
    t = await startCsms({ currency: 'GBP' });
    const admin = await login(t, 'admin@ev-csms.local', 'admin-password');
    const refused = await json<any>(await t.api('/api/cms/tariffs', { token: admin, body: { name: 'Euro', currency: 'EUR', pricePerKwh: 30 } }), 400);
    expect(refused.error).toMatchObject({ code: 'CSMS_ERR_CURRENCY_MISMATCH', data: { currency: 'EUR', networkCurrency: 'GBP' } });
    expect(refused.error.message).toContain('GBP');
    const made = await json<any>(await t.api('/api/cms/tariffs', { token: admin, body: { name: 'Pounds', pricePerKwh: 30 } }), 201);
    expect(made.currency).toBe('GBP');
    const changed = await json<any>(await t.api(`/api/cms/tariffs/${made.id}`, { token: admin, method: 'PUT', body: { currency: 'USD' } }), 400);
    expect(changed.error.code).toBe('CSMS_ERR_CURRENCY_MISMATCH');
    expect((await json<any>(await t.api('/api/config', {}), 200)).currency).toBe('GBP');
  });

  it('starts no session on a tariff an older version kept in another currency', async () => {
    t = await startCsms();
    // As an older version could store it; the API no longer can.
    const tariff = await aTariffIn(t.store, { currency: 'GBP', pricePerKwh: 30 });
    await aChargePoint(t.store, { id: CP, tariffId: tariff.id, connectors: 1 });
    charger = await aTestCharger(t, CP);
    const c = await aCustomer(t.store, { balance: 5000 });
    const token = await login(t, c.email, PASSWORD);
    const res = await json<any>(await t.api('/api/user/charging/start', { token, body: { chargePointId: CP, connectorId: 1 } }), 400);
    expect(res.error.code).toBe('CSMS_ERR_CURRENCY_MISMATCH');
    // Authorize says what StartTransaction will say: a charger caches the answer.
    expect((await charger.conn.call('Authorize', { idTag: c.idTag! })).idTagInfo.status).toBe('Blocked');
    const start = await charger.conn.call('StartTransaction', { connectorId: 1, idTag: c.idTag!, meterStart: 0, timestamp: new Date().toISOString() });
    expect(start.idTagInfo.status).toBe('Blocked');
    expect((await t.store.sessions.get(start.transactionId))!.review).toMatch(/priced in GBP, the network in EUR/);
  });
});

describe('a charge point without a tariff', () => {
  it('is free everywhere: the CMS, the app and the bill agree', async () => {
    t = await startCsms();
    await aTariffIn(t.store, { pricePerKwh: 35, sessionFee: 50 });
    await aChargePoint(t.store, { id: CP, connectors: 1 });
    charger = await aTestCharger(t, CP);
    const admin = await login(t, 'admin@ev-csms.local', 'admin-password');
    const c = await aCustomer(t.store, { balance: 500 });
    const token = await login(t, c.email, PASSWORD);
    expect((await json<any>(await t.api(`/api/cms/points/${CP}`, { token: admin }), 200)).tariff).toBeNull();
    expect((await json<any>(await t.api(`/api/user/chargers/${CP}`, { token }), 200)).tariff).toBeNull();

    await json(await t.api('/api/user/charging/start', { token, body: { chargePointId: CP, connectorId: 1 } }), 202);
    const tx = await waitFor(() => charger.transaction);
    await t.settle();
    // A free session holds nothing: the customer's money stays free for sessions that cost.
    expect((await t.store.holds.get(tx.transactionId))!.amountMinor).toBe(0);
    await charger.meter(5000, 7000, 60);
    await t.settle();
    await json(await t.api('/api/user/charging/stop', { token, body: { sessionId: tx.transactionId } }), 202);
    await waitFor(() => charger.stopped);
    await t.settle();
    const done = await json<any>(await t.api(`/api/user/sessions/${tx.transactionId}`, { token }), 200);
    expect(done).toMatchObject({ status: 'completed', energyWh: 5000, costMinor: 0, tariff: null, tariffId: null });
    expect(await t.store.wallet.balance(c.id)).toBe(500);
  });
});

describe('holds with several sessions at once', () => {
  async function twoChargers(holdMinor: number) {
    t = await startCsms({ minStartBalance: 100, walletHoldMinor: holdMinor });
    const tariff = await aTariffIn(t.store, { pricePerKwh: 100, pricePerMinute: 0, sessionFee: 0 });
    await aChargePoint(t.store, { id: 'CP-H1', tariffId: tariff.id, connectors: 1 });
    await aChargePoint(t.store, { id: 'CP-H2', tariffId: tariff.id, connectors: 1 });
    const one = await aTestCharger(t, 'CP-H1');
    const two = await aTestCharger(t, 'CP-H2');
    const c = await aCustomer(t.store, { balance: 3000 });
    await t.store.users.update(c.id, { maxConcurrentSessions: 2 });
    await t.store.idTags.update(c.idTag!, { maxConcurrent: 2 });
    const start = (ch: TestCharger) => ch.startTransaction(c.idTag!);
    return { c, one, two, start };
  }

  it('with WALLET_HOLD_MINOR=0 the first session holds everything, so a second one finds nothing to spend', async () => {
    const { start, one, two } = await twoChargers(0);
    const first = await start(one);
    expect(first.idTagInfo.status).toBe('Accepted');
    expect((await t.store.holds.get(first.transactionId))!.amountMinor).toBe(3000);
    expect((await start(two)).idTagInfo.status).toBe('Blocked');
  });

  it('with WALLET_HOLD_MINOR each session holds that much; the other may spend the rest, and is stopped at it', async () => {
    const { c, start, one, two } = await twoChargers(1000);
    const first = await start(one);
    const second = await start(two);
    expect([first.idTagInfo.status, second.idTagInfo.status]).toEqual(['Accepted', 'Accepted']);
    expect((await t.store.holds.get(second.transactionId))!.amountMinor).toBe(1000);
    // The first may spend 3000 less what the second holds (1000): 2000.
    await waitFor(() => one.transaction);
    for (let kwh = 5; kwh <= 15; kwh += 5) await one.meter(kwh * 1000, 22_000, kwh * 60);
    await waitFor(() => one.stopped);
    await t.settle();
    expect(one.received.filter((r) => r.action === 'RemoteStopTransaction')).toHaveLength(1);
    expect(await t.store.sessions.get(first.transactionId)).toMatchObject({ status: 'completed', costMinor: 1500 });
    // Once it stopped, its hold is released: the second may now spend all that is left.
    expect(await t.store.holds.reserved(c.id, second.transactionId)).toBe(0);
    expect(await t.store.wallet.balance(c.id)).toBe(1500);
  });
});
