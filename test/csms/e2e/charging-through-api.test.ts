/**
 * A customer charges end to end through the REST API, against a charger that answers like a real
 * one: the app's start reaches the charger as RemoteStartTransaction, the charger's own
 * StartTransaction/MeterValues/StopTransaction make the session the app shows, and the wallet is
 * debited by exactly what the session cost.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aChargePoint, aCustomer, aTariffIn, login, startCsms, waitFor, type TestCsms } from '../../helpers/csms.ts';
import { csmsStores } from '../../helpers/postgres.ts';
import { aTestCharger, type TestCharger } from '../../helpers/sim-charger.ts';

const CP = 'CP-E2E';
const PASSWORD = 'password-123';

let t: TestCsms;
let charger: TestCharger;

async function json<T = any>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

const get = async <T = any>(path: string, token: string) => json<T>(await t.api(path, { token }), 200);
const start = (token: string) => t.api('/api/user/charging/start', { token, body: { chargePointId: CP, connectorId: 1 } });
const stop = (token: string, sessionId: number) => t.api('/api/user/charging/stop', { token, body: { sessionId } });

/** Starts a session for `token` through the API and waits until the charger runs it and the CSMS has it. */
async function chargingSession(token: string) {
  await json(await start(token), 202);
  const tx = await waitFor(() => charger.transaction);
  await t.settle();
  return tx;
}

const commandsSent = (action: string) => charger.received.filter((c) => c.action === action);

describe.each(csmsStores)('[%s store]', (_name, store) => {
  beforeEach(async () => {
    t = await startCsms({ walletSelfTopup: true, ...store });
    // 0.30/kWh, 0.10 per started minute, 0.50 per session; to start: 50 fee + 100 floor = 150.
    const tariff = await aTariffIn(t.store, { pricePerKwh: 30, pricePerMinute: 10, sessionFee: 50 });
    await aChargePoint(t.store, { id: CP, tariffId: tariff.id, connectors: 1 });
    charger = await aTestCharger(t, CP, { meterStartWh: 1000 });
    await t.settle();
  });
  afterEach(async () => {
    await t.close();
  });

  describe('a customer charges through the API', () => {
    it('registers, tops up, starts, sees live values, stops, and is debited exactly the cost', async () => {
      const email = 'driver@e2e.test';
      const registered = await json(await t.api('/api/user/register', { body: { email, password: PASSWORD, name: 'Driver' } }), 201);
      const token = await login(t, email, PASSWORD);
      const me = await get('/api/user/me', token);
      expect(me).toMatchObject({ id: registered.user.id, role: 'customer', balanceMinor: 0 });
      expect(me.idTag).toMatch(/^[0-9A-F]{16}$/i);
      expect(await json(await t.api('/api/user/wallet/topup', { token, body: { amount: 5000 } }), 200)).toMatchObject({ balanceMinor: 5000 });
      expect((await get('/api/user/sessions/active', token)).items).toEqual([]);

      const accepted = await json(await start(token), 202);
      expect(accepted).toEqual({ status: 'Accepted', commandId: expect.any(String) });
      expect(commandsSent('RemoteStartTransaction').map((c) => c.payload)).toEqual([{ connectorId: 1, idTag: me.idTag }]);

      const tx = await waitFor(() => charger.transaction);
      expect(tx.idTag).toBe(me.idTag);
      await t.settle();
      const [running] = (await get('/api/user/sessions/active', token)).items;
      expect(running).toMatchObject({
        id: tx.transactionId, chargePointId: CP, connectorId: 1, idTag: me.idTag, customerId: me.id,
        status: 'active', meterStart: 1000, energyWh: 0, costMinor: 50,
        tariff: { pricePerKwh: 30, pricePerMinute: 10, sessionFee: 50 },
      });
      const point = await get(`/api/user/chargers/${CP}`, token);
      expect(point).toMatchObject({ online: true, connectors: [{ connectorId: 1, status: 'Charging' }] });

      await charger.meter(4000, 7200, 30);
      await charger.meter(7000, 7400, 60);
      await t.settle();
      const [live] = (await get('/api/user/sessions/active', token)).items;
      // 6 kWh × 30 + 1 started minute × 10 + fee 50
      expect(live).toMatchObject({ id: tx.transactionId, energyWh: 6000, powerW: 7400, costMinor: 180 + 10 + 50 });

      charger.stopWith = { meterStopWh: 8500, atS: 90 };
      expect(await json(await stop(token, tx.transactionId), 202)).toEqual({ status: 'Accepted', commandId: expect.any(String) });
      expect(commandsSent('RemoteStopTransaction').map((c) => c.payload)).toEqual([{ transactionId: tx.transactionId }]);
      const stopped = await waitFor(() => charger.stopped);
      await t.settle();

      const cost = 50 + 225 + 20; // fee + 7.5 kWh × 30 + 2 started minutes × 10
      expect((await get('/api/user/sessions/active', token)).items).toEqual([]);
      const history = await get('/api/user/sessions', token);
      expect(history.total).toBe(1);
      expect(history.items).toEqual([expect.objectContaining({
        id: tx.transactionId, status: 'completed', meterStart: 1000, meterStop: 8500, energyWh: 7500, costMinor: cost,
        stopReason: 'Remote', stoppedAt: stopped.stoppedAt, durationS: 90,
      })]);
      expect(await get('/api/user/wallet', token)).toEqual({ balanceMinor: 5000 - cost });
      const ledger = (await get('/api/user/wallet/transactions', token)).items as { kind: string; amountMinor: number; sessionId: number | null }[];
      expect(ledger.filter((e) => e.kind === 'charge')).toEqual([expect.objectContaining({ amountMinor: -cost, sessionId: tx.transactionId })]);
      expect(ledger.map((e) => e.kind)).toEqual(['charge', 'topup']);
      expect(await get(`/api/user/chargers/${CP}`, token)).toMatchObject({ connectors: [{ connectorId: 1, status: 'Available' }] });
      expect(charger.failure).toBeNull();
    });

    it('502 CSMS_ERR_CHARGER_REJECTED when the charger rejects the stop; the session runs on, nothing is billed', async () => {
      const customer = await aCustomer(t.store, { balance: 3000 });
      const token = await login(t, customer.email, PASSWORD);
      const tx = await chargingSession(token);
      charger.sim.refusesRemoteStop = true;

      const res = await stop(token, tx.transactionId);
      expect(res.status).toBe(502);
      expect((await res.json()).error).toMatchObject({ code: 'CSMS_ERR_CHARGER_REJECTED', data: { response: { status: 'Rejected' } } });
      expect(commandsSent('RemoteStopTransaction').map((c) => c.payload)).toEqual([{ transactionId: tx.transactionId }]);

      await t.settle();
      expect((await get('/api/user/sessions/active', token)).items).toEqual([expect.objectContaining({ id: tx.transactionId, status: 'active' })]);
      expect(charger.stopped).toBeNull();
      expect(await get('/api/user/wallet', token)).toEqual({ balanceMinor: 3000 });
    });

    it('another customer can neither stop nor read the session, and sees no active session of their own', async () => {
      const a = await aCustomer(t.store, { balance: 3000 });
      const b = await aCustomer(t.store, { balance: 3000 });
      const tokenA = await login(t, a.email, PASSWORD);
      const tokenB = await login(t, b.email, PASSWORD);
      const tx = await chargingSession(tokenA);

      const stopped = await stop(tokenB, tx.transactionId);
      expect(stopped.status).toBe(404);
      expect((await stopped.json()).error.code).toBe('CSMS_ERR_SESSION_NOT_FOUND');
      expect(commandsSent('RemoteStopTransaction')).toEqual([]);

      const read = await t.api(`/api/user/sessions/${tx.transactionId}`, { token: tokenB });
      expect(read.status).toBe(404);
      expect((await read.json()).error.code).toBe('CSMS_ERR_SESSION_NOT_FOUND');
      expect((await get('/api/user/sessions/active', tokenB)).items).toEqual([]);
      expect(await get('/api/user/sessions', tokenB)).toMatchObject({ items: [], total: 0 });

      // ...while the owner still sees it, so the 404s above are about ownership.
      expect(await get(`/api/user/sessions/${tx.transactionId}`, tokenA)).toMatchObject({ id: tx.transactionId, status: 'active' });
      expect((await get('/api/user/sessions/active', tokenA)).items).toHaveLength(1);
    });

    it('402 CSMS_ERR_INSUFFICIENT_BALANCE below fee + floor, and the charger gets no RemoteStartTransaction', async () => {
      const poor = await aCustomer(t.store, { balance: 149 });
      const token = await login(t, poor.email, PASSWORD);

      const res = await start(token);
      expect(res.status).toBe(402);
      expect((await res.json()).error).toMatchObject({ code: 'CSMS_ERR_INSUFFICIENT_BALANCE', data: { balance: 149, needed: 150 } });
      expect(commandsSent('RemoteStartTransaction')).toEqual([]);
      expect(await t.store.commands.list(CP)).toEqual([]);

      // One more cent is enough: the refusal above was the balance, not something else.
      await json(await t.api('/api/user/wallet/topup', { token, body: { amount: 1 } }), 200);
      await json(await start(token), 202);
      expect(commandsSent('RemoteStartTransaction')).toHaveLength(1);
    });
  });

  describe('the test charger (test/helpers/sim-charger.ts)', () => {
    it('refuses a reading at a time before one it already stamped, instead of stamping another', async () => {
      const me = await aCustomer(t.store, { balance: 5000 });
      await chargingSession(await login(t, me.email, PASSWORD));
      await charger.meter(4000, 7200, 60);
      await expect(charger.meter(5000, 7200, 30)).rejects.toThrow(/cannot stamp .* its clock only moves forward/);
      // A later time is still stamped as asked.
      await charger.meter(5000, 7200, 90);
    });
  });
});
