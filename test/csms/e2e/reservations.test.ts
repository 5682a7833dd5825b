/**
 * Reservations end to end: the driver's REST call reaches the simulated charger as ReserveNow, the
 * charger holds the connector Reserved for that idTag only, another customer is refused, the
 * reserver's start carries the reservationId and uses it, the fee is in the ledger once; expiry,
 * cancel and refusals on both sides.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CsmsConfigInput } from '../../../src/csms/config.ts';
import type { User } from '../../../src/csms/domain/types.ts';
import { aChargePoint, aCustomer, login, startCsms, waitFor, type TestCsms } from '../../helpers/csms.ts';
import { csmsStores } from '../../helpers/postgres.ts';
import { aTestCharger, type TestCharger } from '../../helpers/sim-charger.ts';

const CP = 'CP-RES';
const PASSWORD = 'password-123';

let t: TestCsms;
let charger: TestCharger;
let alice: User;
let bob: User;
let aliceToken: string;
let bobToken: string;

async function json<T = any>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

async function setUp(config: CsmsConfigInput): Promise<void> {
  t = await startCsms({ walletSelfTopup: true, ...config });
  await aChargePoint(t.store, { id: CP, connectors: 2 });
  charger = await aTestCharger(t, CP, { connectors: 2 });
  alice = await aCustomer(t.store, { balance: 5000 });
  bob = await aCustomer(t.store, { balance: 5000 });
  aliceToken = await login(t, alice.email, PASSWORD);
  bobToken = await login(t, bob.email, PASSWORD);
  await t.settle();
}

const reserve = (token: string, connectorId = 1) => t.api('/api/user/reservations', { token, body: { chargePointId: CP, connectorId } });
const start = (token: string, connectorId = 1) => t.api('/api/user/charging/start', { token, body: { chargePointId: CP, connectorId } });
/** The last status the charger reported for a connector, once the CSMS has it too. */
const connectorStatus = async (connectorId: number) => (await t.store.chargePoints.connectors(CP)).find((c) => c.connectorId === connectorId)?.status;
const reportedStatus = (connectorId: number) => charger.answered.filter((a) => a.action === 'StatusNotification' && a.payload.connectorId === connectorId).at(-1)?.payload.status;
const feeEntries = async (customerId: number) => (await t.store.wallet.list(customerId)).filter((e) => e.externalId?.startsWith('reservation'));

afterEach(async () => {
  await t?.close();
});

describe.each(csmsStores)('[%s store] reservations', (_name, store) => {
  it('holds the connector for the reserver only; their start uses it; the fee is debited once', async () => {
    await setUp({ ...store, reservationFee: 200 });
    const r = await json(await reserve(aliceToken), 201);
    expect(r).toMatchObject({ chargePointId: CP, connectorId: 1, customerId: alice.id, idTag: alice.idTag, status: 'active', feeMinor: 200 });
    const sent = charger.received.filter((c) => c.action === 'ReserveNow').map((c) => c.payload);
    expect(sent).toEqual([{ connectorId: 1, expiryDate: r.expiresAt, idTag: alice.idTag, reservationId: r.id }]);
    // Reserved on the charger and, from its StatusNotification, in the CSMS.
    await waitFor(() => reportedStatus(1) === 'Reserved');
    await t.settle();
    expect(await connectorStatus(1)).toBe('Reserved');

    // Nobody else: not a second reservation, not a start (user or admin), and not the same customer twice.
    expect((await json(await reserve(bobToken), 409)).error.code).toBe('CSMS_ERR_CONNECTOR_RESERVED');
    expect((await json(await reserve(aliceToken, 2), 409)).error.code).toBe('CSMS_ERR_RESERVATION_EXISTS');
    expect((await json(await start(bobToken), 409)).error).toMatchObject({ code: 'CSMS_ERR_CONNECTOR_RESERVED', data: { reservationId: r.id } });
    const admin = await login(t, 'admin@ev-csms.local', 'admin-password');
    expect((await json(await t.api('/api/charger/remote-start', { token: admin, body: { chargePointId: CP, connectorId: 1, idTag: bob.idTag } }), 409)).error.code).toBe('CSMS_ERR_CONNECTOR_RESERVED');
    expect(charger.received.filter((c) => c.action === 'RemoteStartTransaction')).toEqual([]);
    expect((await json(await t.api('/api/cms/reservations?status=active', { token: admin }), 200)).items.map((x: any) => x.id)).toEqual([r.id]);

    await json(await start(aliceToken), 202);
    const tx = await waitFor(() => charger.transaction);
    expect(tx.idTag).toBe(alice.idTag);
    const startTx = charger.answered.find((a) => a.action === 'StartTransaction')!;
    expect(startTx.payload.reservationId).toBe(r.id);
    await t.settle();
    expect(await t.store.reservations.get(r.id)).toMatchObject({ status: 'used', sessionId: tx.transactionId });
    const own = await json(await t.api('/api/user/reservations', { token: aliceToken }), 200);
    expect(own.items).toEqual([expect.objectContaining({ id: r.id, status: 'used' })]);

    const fees = await feeEntries(alice.id);
    expect(fees).toEqual([expect.objectContaining({ amountMinor: -200, kind: 'debit', externalId: `reservation:${r.id}` })]);
    expect(await t.store.wallet.balance(alice.id)).toBe(4800);
    expect(await feeEntries(bob.id)).toEqual([]);
  });

  it("another customer's StartTransaction naming the reservation leaves it to its owner", async () => {
    await setUp({ ...store, reservationFee: 200 });
    const r = await json(await reserve(aliceToken), 201);
    await waitFor(() => reportedStatus(1) === 'Reserved');
    // A charger that mixed up reservations: Bob's card starts on connector 2 with Alice's reservationId.
    const answer: any = await charger.conn.callAny('StartTransaction', { connectorId: 2, idTag: bob.idTag, meterStart: 0, timestamp: new Date().toISOString(), reservationId: r.id });
    expect(answer.idTagInfo.status).toBe('Accepted');
    await t.settle();
    expect(await t.store.reservations.get(r.id)).toMatchObject({ status: 'active', sessionId: null });
    expect(await feeEntries(alice.id)).toHaveLength(1);
  });

  it('a refusal names the charger\'s answer and refunds the fee; a wallet that cannot pay is refused first', async () => {
    await setUp({ ...store, reservationFee: 200 });
    const admin = await login(t, 'admin@ev-csms.local', 'admin-password');
    await json(await t.api('/api/charger/change-availability', { token: admin, body: { chargePointId: CP, connectorId: 2, type: 'Inoperative' } }), 200);
    await waitFor(() => reportedStatus(2) === 'Unavailable');
    const refused = await json(await reserve(bobToken, 2), 409);
    expect(refused.error).toMatchObject({ code: 'CSMS_ERR_RESERVATION_REFUSED', data: { status: 'Unavailable' } });
    const [stored] = await t.store.reservations.list({ customerId: bob.id });
    expect(stored).toMatchObject({ status: 'refused', note: 'Unavailable' });
    expect((await feeEntries(bob.id)).map((e) => e.amountMinor).sort((a, b) => a - b)).toEqual([-200, 200]);
    expect(await t.store.wallet.balance(bob.id)).toBe(5000);

    // A charger the operator has not accepted takes no reservation (nothing is sent, nothing debited).
    await t.store.chargePoints.update(CP, { registrationStatus: 'Pending' });
    expect((await json(await reserve(bobToken, 2), 409)).error.code).toBe('CSMS_ERR_CONNECTOR_UNAVAILABLE');
    await t.store.chargePoints.update(CP, { registrationStatus: 'Accepted' });
    expect(await t.store.reservations.list({ customerId: bob.id })).toHaveLength(1);
    expect(await t.store.wallet.balance(bob.id)).toBe(5000);

    const poor = await aCustomer(t.store, { balance: 100 });
    const poorToken = await login(t, poor.email, PASSWORD);
    expect((await json(await reserve(poorToken), 402)).error.code).toBe('CSMS_ERR_INSUFFICIENT_BALANCE');
    expect(await t.store.reservations.list({ customerId: poor.id })).toEqual([]);
    expect(charger.received.filter((c) => c.action === 'ReserveNow')).toHaveLength(1);
  });
});

describe('cancel and expiry (sqlite store)', () => {
  it('a driver cancels: CancelReservation, Available again, the fee kept; an admin\'s cancel refunds it', async () => {
    await setUp({ reservationFee: 150 });
    const mine = await json(await reserve(aliceToken), 201);
    await waitFor(() => reportedStatus(1) === 'Reserved');
    // Another customer cannot cancel it: not theirs, so not found.
    expect((await json(await t.api(`/api/user/reservations/${mine.id}`, { method: 'DELETE', token: bobToken }), 404)).error.code).toBe('CSMS_ERR_RESERVATION_NOT_FOUND');
    const cancelled = await json(await t.api(`/api/user/reservations/${mine.id}`, { method: 'DELETE', token: aliceToken }), 200);
    expect(cancelled).toMatchObject({ reservation: { id: mine.id, status: 'cancelled' }, chargerAnswer: 'Accepted' });
    expect(charger.received.filter((c) => c.action === 'CancelReservation').map((c) => c.payload)).toEqual([{ reservationId: mine.id }]);
    await waitFor(() => reportedStatus(1) === 'Available');
    expect((await json(await t.api(`/api/user/reservations/${mine.id}`, { method: 'DELETE', token: aliceToken }), 409)).error.code).toBe('CSMS_ERR_RESERVATION_NOT_ACTIVE');
    expect(await t.store.wallet.balance(alice.id)).toBe(4850);

    const theirs = await json(await reserve(bobToken), 201);
    const admin = await login(t, 'admin@ev-csms.local', 'admin-password');
    const byAdmin = await json(await t.api(`/api/cms/reservations/${theirs.id}/cancel`, { method: 'POST', token: admin }), 200);
    expect(byAdmin.reservation).toMatchObject({ status: 'cancelled', note: 'cancelled by admin@ev-csms.local' });
    expect(await t.store.wallet.balance(bob.id)).toBe(5000);
    await waitFor(() => reportedStatus(1) === 'Available');
  });

  it('expires on both sides: the charger frees the connector, the CSMS marks it expired', async () => {
    await setUp({ reservationMinutes: 0.02 });
    const r = await json(await reserve(aliceToken), 201);
    await waitFor(() => reportedStatus(1) === 'Reserved');
    await waitFor(() => reportedStatus(1) === 'Available');
    await waitFor(async () => (await t.store.reservations.get(r.id))?.status === 'expired');
    await t.settle();
    expect(await connectorStatus(1)).toBe('Available');
    // Free again for anyone.
    expect(await json(await reserve(bobToken), 201)).toMatchObject({ customerId: bob.id, status: 'active' });
  });

  it('a ReserveNow answered too late is refunded and cancelled on the charger, which would otherwise hold the connector for nobody', async () => {
    await setUp({ reservationFee: 200, ocppCallTimeoutMs: 300 });
    // The charger reserves at once, but its answer arrives after the CSMS stopped waiting.
    const handlers = charger.sim.shared.handlers;
    const reserveNow = handlers.ReserveNow!;
    handlers.ReserveNow = async (req, call) => {
      const answer = await reserveNow(req, call);
      await new Promise((r) => setTimeout(r, 600));
      return answer;
    };
    const refused = await json(await reserve(aliceToken), 504);
    expect(refused.error.code).toBe('CSMS_ERR_COMMAND_TIMEOUT');
    const [r] = await t.store.reservations.list({ customerId: alice.id });
    expect(r).toMatchObject({ status: 'refused' });
    expect((await feeEntries(alice.id)).map((e) => e.amountMinor).sort((a, b) => a - b)).toEqual([-200, 200]);
    await waitFor(() => charger.received.some((c) => c.action === 'CancelReservation' && c.payload.reservationId === r.id));
    await waitFor(() => charger.sim.connectors[0].reservation === null && reportedStatus(1) === 'Available');
    handlers.ReserveNow = reserveNow;
  });
});
