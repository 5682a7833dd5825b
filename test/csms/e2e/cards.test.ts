/**
 * Cards and concurrency: a customer's several idTags each start, a blocked or expired card is
 * refused while another works, and ConcurrentTx follows the card's `maxConcurrent` and the
 * customer's `maxConcurrentSessions` (1 and 1 by default, the rule before cards). Real chargers over
 * WebSocket against a real CSMS on a SQLite file; the app's start goes out to the simulator's charger.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aBootNotification, anAuthorize, aStartTransaction, aStopTransaction, type OcppConnection } from '../../../src/ocpp/index.ts';
import { aChargePoint, aCustomer, aTariffIn, login, startCsms, waitFor, type TestCsms } from '../../helpers/csms.ts';
import { aTestCharger } from '../../helpers/sim-charger.ts';
import { tempDbPath } from '../store/fixtures.ts';

let t: TestCsms;
let cleanup: () => void;
/** Three chargers of two connectors each. */
let chargers: { id: string; conn: OcppConnection<any, any, unknown> }[];

beforeEach(async () => {
  const db = tempDbPath();
  cleanup = db.cleanup;
  t = await startCsms({ dbPath: db.path });
  const tariff = await aTariffIn(t.store, { pricePerKwh: 30, sessionFee: 0 });
  chargers = [];
  for (let i = 0; i < 3; i++) {
    const id = (await aChargePoint(t.store, { tariffId: tariff.id, connectors: 2 })).id;
    const conn = await t.connect(id);
    await conn.call('BootNotification', aBootNotification());
    chargers.push({ id, conn });
  }
});
afterEach(async () => {
  await t.close();
  cleanup();
});

/** StartTransaction of `idTag` on charger `i`, connector `connectorId`; returns the answer. */
async function start(i: number, connectorId: number, idTag: string, meterStart = 0) {
  return chargers[i].conn.call('StartTransaction', aStartTransaction({ connectorId, idTag, meterStart })) as Promise<{ transactionId: number; idTagInfo: { status: string; expiryDate?: string } }>;
}
const statusOf = async (i: number, connectorId: number, idTag: string) => (await start(i, connectorId, idTag)).idTagInfo.status;

async function fleetCustomer(opts: { maxConcurrentSessions?: number } = {}) {
  const c = await aCustomer(t.store, { balance: 100_000 });
  if (opts.maxConcurrentSessions) await t.store.users.update(c.id, { maxConcurrentSessions: opts.maxConcurrentSessions });
  return c;
}

describe('several cards of one customer', () => {
  it('each start a transaction when the customer may run that many', async () => {
    const c = await fleetCustomer({ maxConcurrentSessions: 3 });
    const second = await t.store.idTags.create({ idTag: 'CARD-TWO', customerId: c.id, label: 'van' });
    const third = await t.store.idTags.create({ idTag: 'CARD-THREE', customerId: c.id });
    const answers = [await start(0, 1, c.idTag!), await start(1, 1, second.idTag), await start(2, 1, third.idTag.toLowerCase())];
    expect(answers.map((a) => a.idTagInfo.status)).toEqual(['Accepted', 'Accepted', 'Accepted']);
    await t.settle();
    expect((await t.store.sessions.activeForCustomer(c.id)).map((s) => [s.idTag, s.customerId])).toEqual([
      [c.idTag, c.id], ['CARD-TWO', c.id], ['card-three', c.id],
    ]);
  });

  it('a blocked card is Blocked (Authorize and StartTransaction) while another card of the customer works', async () => {
    const c = await fleetCustomer();
    const lost = await t.store.idTags.create({ idTag: 'LOST-CARD', customerId: c.id });
    await t.store.idTags.update(lost.idTag, { blocked: true });
    expect((await chargers[0].conn.call('Authorize', anAuthorize({ idTag: 'LOST-CARD' }))).idTagInfo.status).toBe('Blocked');
    expect(await statusOf(0, 1, 'LOST-CARD')).toBe('Blocked');
    expect((await chargers[0].conn.call('Authorize', anAuthorize({ idTag: c.idTag! }))).idTagInfo.status).toBe('Accepted');
    expect(await statusOf(0, 2, c.idTag!)).toBe('Accepted');
    // Unblocked it is no longer Blocked, but the customer runs one session already (the default limit).
    await t.store.idTags.update(lost.idTag, { blocked: false });
    expect(await statusOf(1, 1, 'LOST-CARD')).toBe('ConcurrentTx');
  });

  it('a card past its own expiry is Expired with that expiryDate; the account blocked makes every card Blocked', async () => {
    const c = await fleetCustomer({ maxConcurrentSessions: 5 });
    await t.store.idTags.create({ idTag: 'OLD-CARD', customerId: c.id, expiresAt: '2020-01-01T00:00:00.000Z' });
    const expired = await start(0, 1, 'OLD-CARD');
    expect(expired.idTagInfo).toEqual({ status: 'Expired', expiryDate: '2020-01-01T00:00:00.000Z' });
    const later = new Date(Date.now() + 86_400_000).toISOString();
    await t.store.idTags.create({ idTag: 'NEW-CARD', customerId: c.id, expiresAt: later });
    expect((await start(0, 2, 'NEW-CARD')).idTagInfo).toEqual({ status: 'Accepted', expiryDate: later });
    await t.store.users.update(c.id, { blocked: true });
    expect(await statusOf(1, 1, c.idTag!)).toBe('Blocked');
    expect((await chargers[1].conn.call('Authorize', anAuthorize({ idTag: 'NEW-CARD' }))).idTagInfo.status).toBe('Blocked');
  });
});

describe('concurrency', () => {
  it('by default the same card elsewhere is ConcurrentTx; a retry or a new start on the same connector is not', async () => {
    const c = await fleetCustomer();
    const req = aStartTransaction({ connectorId: 1, idTag: c.idTag!, meterStart: 100 });
    const first = await chargers[0].conn.call('StartTransaction', req);
    expect(first.idTagInfo.status).toBe('Accepted');
    expect(await statusOf(0, 2, c.idTag!)).toBe('ConcurrentTx');
    expect(await statusOf(1, 1, c.idTag!.toLowerCase())).toBe('ConcurrentTx');
    // Authorize answers about the card, never ConcurrentTx (E2 §7.2: only for StartTransaction).
    expect((await chargers[1].conn.call('Authorize', anAuthorize({ idTag: c.idTag! }))).idTagInfo.status).toBe('Accepted');
    // The charger retransmits its StartTransaction: the same id and answer.
    expect(await chargers[0].conn.call('StartTransaction', req)).toEqual(first);
    // A new transaction on the same connector supersedes the old one instead of being concurrent.
    const next = await start(0, 1, c.idTag!, 500);
    expect(next.idTagInfo.status).toBe('Accepted');
    expect((await t.store.sessions.get(first.transactionId))!.status).toBe('completed');
    await t.settle();
    expect((await t.store.sessions.activeForCustomer(c.id)).map((s) => s.id)).toEqual([next.transactionId]);
  });

  it('a fleet card allowed 2 runs two transactions, the third is ConcurrentTx; a stop makes room', async () => {
    const c = await fleetCustomer({ maxConcurrentSessions: 10 });
    await t.store.idTags.update(c.idTag!, { maxConcurrent: 2 });
    const one = await start(0, 1, c.idTag!);
    const two = await start(1, 1, c.idTag!);
    expect([one.idTagInfo.status, two.idTagInfo.status]).toEqual(['Accepted', 'Accepted']);
    expect(await statusOf(2, 1, c.idTag!)).toBe('ConcurrentTx');
    await chargers[0].conn.call('StopTransaction', aStopTransaction({ transactionId: one.transactionId, meterStop: 1000 }));
    expect(await statusOf(2, 2, c.idTag!)).toBe('Accepted');
  });

  it('the customer limit counts over all cards', async () => {
    const c = await fleetCustomer();
    await t.store.idTags.create({ idTag: 'SECOND', customerId: c.id, maxConcurrent: 5 });
    expect(await statusOf(0, 1, c.idTag!)).toBe('Accepted');
    // Another card of the same customer, with room on the card, but the customer runs one already.
    expect(await statusOf(1, 1, 'SECOND')).toBe('ConcurrentTx');
    await t.store.users.update(c.id, { maxConcurrentSessions: 2 });
    expect(await statusOf(1, 2, 'SECOND')).toBe('Accepted');
    expect(await statusOf(2, 1, 'SECOND')).toBe('ConcurrentTx');
    // Refused starts are stored with the status they got and do not count as running.
    expect((await t.store.sessions.list({ customerId: c.id, status: 'refused' })).map((s) => s.refusal)).toEqual(['ConcurrentTx', 'ConcurrentTx']);
    expect(await t.store.sessions.activeForCustomer(c.id)).toHaveLength(2);
  });
});

describe('the app starts with a usable card that has room', () => {
  it('the primary card, else the oldest other one; refusals say why', async () => {
    const tariff = await aTariffIn(t.store, { pricePerKwh: 30 });
    const liveId = (await aChargePoint(t.store, { tariffId: tariff.id, connectors: 1 })).id;
    const live = await aTestCharger(t, liveId);
    await t.settle();
    const c = await fleetCustomer();
    const token = await login(t, c.email, 'password-123');
    const appStart = () => t.api('/api/user/charging/start', { token, body: { chargePointId: liveId, connectorId: 1 } });
    const codeOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;
    await t.store.idTags.create({ idTag: 'SPARE', customerId: c.id });

    // The primary card blocked: the spare one goes to the charger.
    await t.store.idTags.update(c.idTag!, { blocked: true });
    expect((await appStart()).status).toBe(202);
    await waitFor(() => live.transaction);
    expect(live.received.filter((r) => r.action === 'RemoteStartTransaction').map((r) => r.payload.idTag)).toEqual(['SPARE']);
    await t.settle();

    // One session running, one allowed: 409 CSMS_ERR_SESSION_ACTIVE, as before cards.
    expect(await codeOf(await appStart())).toBe('CSMS_ERR_SESSION_ACTIVE');
    // Two allowed, but SPARE is in use and the primary blocked: no card has room.
    await t.store.users.update(c.id, { maxConcurrentSessions: 2 });
    const busy = await appStart();
    expect(busy.status).toBe(409);
    expect(await codeOf(busy)).toBe('CSMS_ERR_ID_TAG_IN_USE');
    // Every card blocked: 403 CSMS_ERR_ID_TAG_UNUSABLE.
    await t.store.idTags.update('SPARE', { blocked: true });
    const unusable = await appStart();
    expect(unusable.status).toBe(403);
    expect(await codeOf(unusable)).toBe('CSMS_ERR_ID_TAG_UNUSABLE');
    // No card at all: 403 CSMS_ERR_FORBIDDEN, as for an account without an idTag before.
    const bare = await aCustomer(t.store, { balance: 100_000 });
    await t.store.users.update(bare.id, { idTag: null });
    const bareToken = await login(t, bare.email, 'password-123');
    const none = await t.api('/api/user/charging/start', { token: bareToken, body: { chargePointId: liveId, connectorId: 1 } });
    expect(await codeOf(none)).toBe('CSMS_ERR_FORBIDDEN');
  });
});
