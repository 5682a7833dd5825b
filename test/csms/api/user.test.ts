import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aChargePoint, aNewSession, aStation, aTariffInput } from '../builders.ts';
import { errorOf, startApi, type ApiHarness } from './harness.ts';

let h: ApiHarness;
beforeEach(async () => { h = await startApi(); });
afterEach(async () => { await h.close(); });

const at = () => new Date().toISOString();

/** A station with one online charge point (connector 1 Available, 2 Charging) on a tariff. */
async function aSite() {
  const station = await h.store.stations.create(aStation());
  const tariff = await h.store.tariffs.create(aTariffInput({ pricePerKwh: 40 }));
  const cp = await h.store.chargePoints.create(aChargePoint({ stationId: station.id, tariffId: tariff.id, connectors: 2 }));
  await h.store.chargePoints.setOnline(cp.id, true, at());
  await h.store.chargePoints.upsertConnector({ chargePointId: cp.id, connectorId: 1, status: 'Available', errorCode: 'NoError', info: null }, at());
  await h.store.chargePoints.upsertConnector({ chargePointId: cp.id, connectorId: 2, status: 'Charging', errorCode: 'NoError', info: null }, at());
  return { station, tariff, cp };
}

describe('customer reads', () => {
  it('GET /me shows id, idTag and balance', async () => {
    const { user, token } = await h.customer({ balance: 2500 });
    const res = await h.call('/api/user/me', { token });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: user.id, idTag: user.idTag, email: user.email, balanceMinor: 2500 });
  });

  it('GET /stations lists stations with points, connectors and availability', async () => {
    const { station, tariff, cp } = await aSite();
    const { token } = await h.customer();
    const body = (await (await h.call('/api/user/stations', { token })).json()) as { items: any[] };
    expect(body.items).toHaveLength(1);
    expect(body.items[0]).toMatchObject({ id: station.id, connectorsAvailable: 1 });
    const point = body.items[0].chargePoints[0];
    expect(point).toMatchObject({ id: cp.id, online: true, tariff: { id: tariff.id, pricePerKwh: 40 } });
    expect(point.connectors.map((c: any) => [c.connectorId, c.status])).toEqual([[1, 'Available'], [2, 'Charging']]);
    expect(point).not.toHaveProperty('hasAuthKey');
    await h.store.chargePoints.setOnline(cp.id, false, at());
    const offline = (await (await h.call('/api/user/stations', { token })).json()) as { items: any[] };
    expect(offline.items[0].connectorsAvailable).toBe(0);
  });

  it('GET /chargers/:id shows one point, or 404 CSMS_ERR_CHARGER_NOT_FOUND', async () => {
    const { cp } = await aSite();
    const { token } = await h.customer();
    expect(await (await h.call(`/api/user/chargers/${cp.id}`, { token })).json()).toMatchObject({ id: cp.id, connectors: [{ connectorId: 1 }, { connectorId: 2 }] });
    const missing = await h.call('/api/user/chargers/NOPE', { token });
    expect(missing.status).toBe(404);
    expect((await errorOf(missing)).code).toBe('CSMS_ERR_CHARGER_NOT_FOUND');
  });

  it('shows only the caller\'s own sessions; another customer\'s is 404', async () => {
    const { cp, tariff } = await aSite();
    const a = await h.customer();
    const b = await h.customer();
    const done = (await h.store.sessions.start(aNewSession({ chargePointId: cp.id, customerId: a.user.id, idTag: a.user.idTag!, startedAt: '2024-05-01T10:00:00.000Z' }))).session;
    await h.store.sessions.complete(done.id, { meterStop: 3000, energyWh: 2000, costMinor: 80, stoppedAt: '2024-05-01T11:00:00.000Z', reason: 'Local' });
    const active = (await h.store.sessions.start(aNewSession({ chargePointId: cp.id, connectorId: 2, customerId: a.user.id, idTag: a.user.idTag!, tariff, startedAt: at() }))).session;
    const others = (await h.store.sessions.start(aNewSession({ chargePointId: cp.id, customerId: b.user.id, idTag: b.user.idTag!, startedAt: '2024-05-02T10:00:00.000Z' }))).session;

    const list = (await (await h.call('/api/user/sessions?limit=1', { token: a.token })).json()) as any;
    expect(list).toMatchObject({ total: 2, limit: 1, offset: 0 });
    expect(list.items).toHaveLength(1);
    const completed = (await (await h.call('/api/user/sessions?status=completed', { token: a.token })).json()) as any;
    expect(completed.items.map((s: any) => s.id)).toEqual([done.id]);
    expect(completed.items[0]).toMatchObject({ energyWh: 2000, costMinor: 80, durationS: 3600 });

    const running = (await (await h.call('/api/user/sessions/active', { token: a.token })).json()) as any;
    expect(running.items.map((s: any) => s.id)).toEqual([active.id]);
    expect(running.items[0].tariff).toMatchObject({ pricePerKwh: 40 });

    expect((await h.call(`/api/user/sessions/${done.id}`, { token: a.token })).status).toBe(200);
    const foreign = await h.call(`/api/user/sessions/${others.id}`, { token: a.token });
    expect(foreign.status).toBe(404);
    const err = await errorOf(foreign);
    expect(err.code).toBe('CSMS_ERR_SESSION_NOT_FOUND');
    expect(JSON.stringify(err)).not.toContain(b.user.idTag!);
    expect((await h.call('/api/user/sessions/abc', { token: a.token })).status).toBe(400);
  });
});

describe('self top-up off (the default)', () => {
  it('refuses POST /wallet/topup with CSMS_ERR_TOPUP_DISABLED and credits nothing', async () => {
    const { token } = await h.customer();
    const res = await h.call('/api/user/wallet/topup', { token, body: { amount: 1500 } });
    expect(res.status).toBe(403);
    expect((await errorOf(res)).code).toBe('CSMS_ERR_TOPUP_DISABLED');
    // Refused before the body is judged: no amount makes it work.
    expect((await errorOf(await h.call('/api/user/wallet/topup', { token, body: {} }))).code).toBe('CSMS_ERR_TOPUP_DISABLED');
    expect(await (await h.call('/api/user/wallet', { token })).json()).toEqual({ balanceMinor: 0 });
    expect(await (await h.call('/api/config')).json()).toMatchObject({ wallet: { selfTopup: false, checkout: false, currency: 'EUR' } });
  });
});

describe('wallet with WALLET_SELF_TOPUP=true', () => {
  beforeEach(async () => {
    await h.close();
    h = await startApi({ walletSelfTopup: true });
  });

  it('says so in /api/config', async () => {
    expect(await (await h.call('/api/config')).json()).toMatchObject({ wallet: { selfTopup: true, checkout: false } });
  });

  it('tops up, keeps a ledger and pushes wallet notifications to the customer', async () => {
    const { user, token } = await h.customer();
    const res = await h.call('/api/user/wallet/topup', { token, body: { amount: 1500 } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ balanceMinor: 1500, entry: { amountMinor: 1500, kind: 'topup', customerId: user.id } });
    await h.call('/api/user/wallet/topup', { token, body: { amount: 250 } });
    expect(await (await h.call('/api/user/wallet', { token })).json()).toEqual({ balanceMinor: 1750 });
    const ledger = (await (await h.call('/api/user/wallet/transactions', { token })).json()) as any;
    expect(ledger.items.map((e: any) => e.amountMinor)).toEqual([250, 1500]);
    const pushed = h.notifications.filter((n) => n.recipients.includes(user.id)).map((n) => n.type);
    expect(pushed).toEqual(['wallet.transaction', 'wallet.updated', 'wallet.transaction', 'wallet.updated']);
  });

  it('refuses amounts that are not an integer from 1 to 1,000,000 with CSMS_ERR_BAD_AMOUNT', async () => {
    const { token } = await h.customer();
    for (const amount of [0, -5, 10.5, '100', 1_000_001, null]) {
      const res = await h.call('/api/user/wallet/topup', { token, body: { amount } });
      expect(res.status, `amount ${JSON.stringify(amount)}`).toBe(400);
      expect(await errorOf(res)).toMatchObject({ code: 'CSMS_ERR_BAD_AMOUNT', data: { field: 'body.amount' } });
    }
    const missing = await h.call('/api/user/wallet/topup', { token, body: {} });
    expect((await errorOf(missing)).code).toBe('CSMS_ERR_BAD_AMOUNT');
    const extra = await h.call('/api/user/wallet/topup', { token, body: { amount: 5, currency: 'EUR' } });
    expect(await errorOf(extra)).toMatchObject({ code: 'CSMS_ERR_VALIDATION', data: { field: 'body.currency' } });
    expect(await (await h.call('/api/user/wallet', { token })).json()).toEqual({ balanceMinor: 0 });
  });
});

describe('charging start/stop refusals before any command is sent', () => {
  it('start: unknown charger 404, unknown connector 404, low balance 402, busy connector 409', async () => {
    const { cp } = await aSite();
    const poor = await h.customer({ balance: 50 });
    const rich = await h.customer({ balance: 5000 });
    const cases: [string, { chargePointId: string; connectorId: number }, number, string][] = [
      [rich.token, { chargePointId: 'NOPE', connectorId: 1 }, 404, 'CSMS_ERR_CHARGER_NOT_FOUND'],
      [rich.token, { chargePointId: cp.id, connectorId: 9 }, 404, 'CSMS_ERR_CONNECTOR_NOT_FOUND'],
      [poor.token, { chargePointId: cp.id, connectorId: 1 }, 402, 'CSMS_ERR_INSUFFICIENT_BALANCE'],
      [rich.token, { chargePointId: cp.id, connectorId: 2 }, 409, 'CSMS_ERR_CONNECTOR_UNAVAILABLE'],
    ];
    for (const [token, body, status, code] of cases) {
      const res = await h.call('/api/user/charging/start', { token, body });
      expect(res.status, code).toBe(status);
      expect((await errorOf(res)).code).toBe(code);
    }
    expect(await h.store.commands.list(cp.id)).toEqual([]);
  });

  it('start: refuses connector 0 and a missing connectorId as validation errors', async () => {
    const { cp } = await aSite();
    const { token } = await h.customer({ balance: 5000 });
    for (const body of [{ chargePointId: cp.id, connectorId: 0 }, { chargePointId: cp.id }]) {
      const res = await h.call('/api/user/charging/start', { token, body });
      expect(await errorOf(res)).toMatchObject({ code: 'CSMS_ERR_VALIDATION', data: { field: 'body.connectorId' } });
    }
  });

  it('start on an offline charger: 503 CSMS_ERR_CHARGER_OFFLINE, audited and pushed to the customer', async () => {
    const { cp } = await aSite();
    const { user, token } = await h.customer({ balance: 5000 });
    const res = await h.call('/api/user/charging/start', { token, body: { chargePointId: cp.id, connectorId: 1 } });
    expect(res.status).toBe(503);
    const err = await errorOf(res);
    expect(err.code).toBe('CSMS_ERR_CHARGER_OFFLINE');
    const [cmd] = await h.store.commands.list(cp.id);
    expect(cmd).toMatchObject({ id: err.data!.commandId, action: 'RemoteStartTransaction', status: 'offline', requestedBy: `customer:${user.id}`, request: { connectorId: 1, idTag: user.idTag } });
    expect(h.notifications.find((n) => n.type === 'command.result' && n.recipients.includes(user.id))?.data).toMatchObject({ status: 'offline', chargePointId: cp.id });
  });

  it('stop: someone else\'s session is 404, a finished one 409, an offline charger 503', async () => {
    const { cp } = await aSite();
    const a = await h.customer();
    const b = await h.customer();
    const mine = (await h.store.sessions.start(aNewSession({ chargePointId: cp.id, customerId: a.user.id, idTag: a.user.idTag! }))).session;
    const theirs = (await h.store.sessions.start(aNewSession({ chargePointId: cp.id, connectorId: 2, customerId: b.user.id, idTag: b.user.idTag! }))).session;
    const stop = (token: string, sessionId: number) => h.call('/api/user/charging/stop', { token, body: { sessionId } });

    expect((await errorOf(await stop(a.token, theirs.id))).code).toBe('CSMS_ERR_SESSION_NOT_FOUND');
    const offline = await stop(a.token, mine.id);
    expect(offline.status).toBe(503);
    expect((await h.store.commands.list(cp.id))[0]).toMatchObject({ action: 'RemoteStopTransaction', request: { transactionId: mine.id } });
    await h.store.sessions.complete(mine.id, { meterStop: 1000, energyWh: 0, costMinor: 0, stoppedAt: at(), reason: null });
    const finished = await stop(a.token, mine.id);
    expect(finished.status).toBe(409);
    expect((await errorOf(finished)).code).toBe('CSMS_ERR_SESSION_NOT_ACTIVE');
  });
});
