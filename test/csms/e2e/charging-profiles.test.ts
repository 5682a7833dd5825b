/**
 * Smart Charging over REST against a live charger: every rule beyond the schema refused with its
 * field (400, or 409 for the transaction) and nothing sent; accepted profiles kept and replaced as
 * the spec says, cleared, gone with their transaction; RemoteStart with a profile; the point's room
 * told of each change (RabbitMQ and Socket.io).
 */
import { io, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aBootNotification, aStartTransaction, aStopTransaction, type OcppConnection } from '../../../src/ocpp/index.ts';
import type { ChargingProfile } from '../../../src/ocpp/messages.ts';
import { aChargePoint, aCustomer, login, startCsms, waitFor, type TestCsms } from '../../helpers/csms.ts';
import { deleteNamespace, describeRabbit, RABBIT_URL, uniqueNamespace } from '../../helpers/rabbit.ts';

const CP = 'CP-SMART';

function aProfile(overrides: Partial<ChargingProfile> = {}, schedule: Partial<ChargingProfile['chargingSchedule']> = {}): ChargingProfile {
  return {
    chargingProfileId: 10, stackLevel: 0, chargingProfilePurpose: 'TxDefaultProfile', chargingProfileKind: 'Absolute',
    chargingSchedule: { startSchedule: '2030-01-01T00:00:00.000Z', chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }], ...schedule },
    ...overrides,
  };
}

async function json<T = any>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

describe('Smart Charging REST routes', () => {
  let t: TestCsms;
  let charger: OcppConnection<any, any, unknown>;
  let admin: string;
  const received: { action: string; req: any }[] = [];
  let answer = 'Accepted';

  beforeEach(async () => {
    t = await startCsms({ loadManagement: 'off' });
    await aChargePoint(t.store, { id: CP, connectors: 2 });
    charger = await t.connect(CP);
    received.length = 0;
    answer = 'Accepted';
    for (const action of ['SetChargingProfile', 'ClearChargingProfile', 'RemoteStartTransaction', 'GetCompositeSchedule']) {
      charger.handle(action as any, (req: unknown) => {
        received.push({ action, req });
        if (action === 'GetCompositeSchedule') return { status: 'Accepted', connectorId: 1, scheduleStart: '2030-01-01T00:00:00.000Z', chargingSchedule: { chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 7400 }] } } as any;
        return { status: answer } as any;
      });
    }
    await charger.call('BootNotification', aBootNotification());
    admin = await login(t, 'admin@ev-csms.local', 'admin-password');
  });
  afterEach(async () => {
    await t.close();
  });

  const set = (connectorId: number, profile: unknown) => t.api('/api/charger/set-charging-profile', { token: admin, body: { chargePointId: CP, connectorId, csChargingProfiles: profile } });
  const profiles = async () => json(await t.api(`/api/charger/${CP}/charging-profiles`, { token: admin }));

  async function startTx(connectorId = 1): Promise<number> {
    const customer = await aCustomer(t.store, { balance: 5000 });
    const { transactionId } = await charger.call('StartTransaction', aStartTransaction({ connectorId, idTag: customer.idTag! }));
    return transactionId;
  }

  const REFUSALS: [string, () => [number, unknown], number, string][] = [
    ['a TxProfile without a running transaction', () => [1, aProfile({ chargingProfilePurpose: 'TxProfile' })], 409, 'body.connectorId'],
    ['a ChargePointMaxProfile on a connector', () => [1, aProfile({ chargingProfilePurpose: 'ChargePointMaxProfile' })], 400, 'body.connectorId'],
    ['a TxProfile on connector 0', () => [0, aProfile({ chargingProfilePurpose: 'TxProfile' })], 400, 'body.connectorId'],
    ['a connector the charge point lacks', () => [5, aProfile()], 400, 'body.connectorId'],
    ['Recurring without recurrencyKind', () => [1, aProfile({ chargingProfileKind: 'Recurring' })], 400, 'body.csChargingProfiles.recurrencyKind'],
    ['Recurring without startSchedule', () => [1, aProfile({ chargingProfileKind: 'Recurring', recurrencyKind: 'Daily' }, { startSchedule: undefined })], 400, 'body.csChargingProfiles.chargingSchedule.startSchedule'],
    ['Relative with a startSchedule', () => [1, aProfile({ chargingProfileKind: 'Relative' })], 400, 'body.csChargingProfiles.chargingSchedule.startSchedule'],
    ['a first period not at 0', () => [1, aProfile({}, { chargingSchedulePeriod: [{ startPeriod: 30, limit: 16 }] })], 400, 'body.csChargingProfiles.chargingSchedule.chargingSchedulePeriod.0.startPeriod'],
    ['periods not increasing', () => [1, aProfile({}, { chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }, { startPeriod: 0, limit: 8 }] })], 400, 'body.csChargingProfiles.chargingSchedule.chargingSchedulePeriod.1.startPeriod'],
    ['validFrom not before validTo', () => [1, aProfile({ validFrom: '2030-01-02T00:00:00Z', validTo: '2030-01-01T00:00:00Z' })], 400, 'body.csChargingProfiles.validTo'],
    ['a limit of 0', () => [1, aProfile({}, { chargingSchedulePeriod: [{ startPeriod: 0, limit: 0 }] })], 400, 'body.csChargingProfiles.chargingSchedule.chargingSchedulePeriod.0.limit'],
    ['an id reserved for load management', () => [1, aProfile({ chargingProfileId: 1_000_000_001 })], 400, 'body.csChargingProfiles.chargingProfileId'],
  ];

  it.each(REFUSALS)('refuses %s, naming the field, and sends nothing', async (_rule, make, status, field) => {
    const [connectorId, profile] = make();
    const body = await json(await set(connectorId, profile), status);
    expect(body.error).toMatchObject({ code: status === 409 ? 'CSMS_ERR_SESSION_NOT_ACTIVE' : 'CSMS_ERR_VALIDATION', data: { field } });
    expect(received).toEqual([]);
    expect(await t.store.commands.list(CP)).toEqual([]);
  });

  it('refuses a TxProfile naming another transaction than the running one (409)', async () => {
    const tx = await startTx(1);
    const body = await json(await set(1, aProfile({ chargingProfilePurpose: 'TxProfile', transactionId: tx + 1 })), 409);
    expect(body.error).toMatchObject({ code: 'CSMS_ERR_SESSION_NOT_ACTIVE', data: { field: 'body.csChargingProfiles.transactionId', runningTransactionId: tx } });
    expect(received).toEqual([]);
  });

  it('keeps accepted profiles, replaces by id or by purpose and stack level, and clears on request', async () => {
    const first = aProfile({ chargingProfileId: 1, stackLevel: 0 });
    expect((await json(await set(1, first))).response).toEqual({ status: 'Accepted' });
    expect(received).toEqual([{ action: 'SetChargingProfile', req: { connectorId: 1, csChargingProfiles: first } }]);
    await json(await set(1, aProfile({ chargingProfileId: 2, stackLevel: 1 })));
    await json(await set(0, aProfile({ chargingProfileId: 3, chargingProfilePurpose: 'ChargePointMaxProfile' }, { chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 22_000 }] })));
    // Same purpose and stack level on connector 1: replaces profile 1.
    await json(await set(1, aProfile({ chargingProfileId: 4, stackLevel: 0 })));
    let listed = await profiles();
    expect(listed.items.map((p: any) => [p.connectorId, p.chargingProfileId])).toEqual([[0, 3], [1, 4], [1, 2]]);
    expect(listed.items[1]).toMatchObject({ chargePointId: CP, purpose: 'TxDefaultProfile', stackLevel: 0, transactionId: null, requestedBy: expect.stringMatching(/^admin:/) });

    // Rejected: not kept, counted.
    answer = 'Rejected';
    expect((await json(await set(2, aProfile({ chargingProfileId: 5 })))).response).toEqual({ status: 'Rejected' });
    listed = await profiles();
    expect(listed.items).toHaveLength(3);
    expect(listed.unconfirmed).toMatchObject({ count: 1, lastStatus: 'Rejected' });

    // A clear the charger answers Unknown removes nothing; Accepted removes what matches.
    answer = 'Unknown';
    await json(await t.api('/api/charger/clear-charging-profile', { token: admin, body: { chargePointId: CP, id: 4 } }));
    expect((await profiles()).items).toHaveLength(3);
    answer = 'Accepted';
    await json(await t.api('/api/charger/clear-charging-profile', { token: admin, body: { chargePointId: CP, chargingProfilePurpose: 'TxDefaultProfile' } }));
    expect((await profiles()).items.map((p: any) => p.chargingProfileId)).toEqual([3]);
    await json(await t.api('/api/charger/clear-charging-profile', { token: admin, body: { chargePointId: CP } }));
    expect((await profiles()).items).toEqual([]);
  });

  it('a TxProfile is kept while its transaction runs and forgotten when it ends', async () => {
    const tx = await startTx(2);
    const profile = aProfile({ chargingProfileId: 20, chargingProfilePurpose: 'TxProfile', chargingProfileKind: 'Relative' }, { startSchedule: undefined, chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 7000 }] });
    await json(await set(2, profile));
    // Without a transactionId, the CSMS records the transaction it belongs to.
    expect((await profiles()).items).toEqual([expect.objectContaining({ chargingProfileId: 20, connectorId: 2, transactionId: tx, purpose: 'TxProfile' })]);
    await charger.call('StopTransaction', aStopTransaction({ transactionId: tx }));
    expect((await profiles()).items).toEqual([]);
  });

  it('asks for the composite schedule of a connector, and refuses one the charger lacks', async () => {
    const body = await json(await t.api('/api/charger/get-composite-schedule', { token: admin, body: { chargePointId: CP, connectorId: 1, duration: 3600, chargingRateUnit: 'W' } }));
    expect(body.response).toMatchObject({ status: 'Accepted', chargingSchedule: { chargingSchedulePeriod: [{ startPeriod: 0, limit: 7400 }] } });
    const refused = await json(await t.api('/api/charger/get-composite-schedule', { token: admin, body: { chargePointId: CP, connectorId: 9, duration: 60 } }), 400);
    expect(refused.error.data.field).toBe('body.connectorId');
  });

  it('sends a RemoteStartTransaction with a valid TxProfile, refuses an invalid one naming the rule (E2 §5.11)', async () => {
    const profile = aProfile({ chargingProfileId: 30, chargingProfilePurpose: 'TxProfile', chargingProfileKind: 'Relative' }, { startSchedule: undefined });
    const ok = await json(await t.api('/api/charger/remote-start', { token: admin, body: { chargePointId: CP, idTag: 'REMOTE-1', connectorId: 1, chargingProfile: profile } }));
    expect(ok.response).toEqual({ status: 'Accepted' });
    expect(received).toEqual([{ action: 'RemoteStartTransaction', req: { idTag: 'REMOTE-1', connectorId: 1, chargingProfile: profile } }]);

    const wrongPurpose = await json(await t.api('/api/charger/remote-start', { token: admin, body: { chargePointId: CP, idTag: 'REMOTE-1', chargingProfile: aProfile() } }), 400);
    expect(wrongPurpose.error.data.field).toBe('body.chargingProfile.chargingProfilePurpose');
    const withTx = await json(await t.api('/api/charger/remote-start', { token: admin, body: { chargePointId: CP, idTag: 'REMOTE-1', chargingProfile: { ...profile, transactionId: 5 } } }), 400);
    expect(withTx.error.data.field).toBe('body.chargingProfile.transactionId');
    expect(received).toHaveLength(1);
  });
});

describeRabbit('Smart Charging notifications to the point room', () => {
  let t: TestCsms;
  let ns: string;
  let socket: Socket | null = null;
  beforeEach(async () => {
    ns = uniqueNamespace();
    t = await startCsms({ enableRabbitmq: true, rabbitmqNamespace: ns, loadManagement: 'off' });
  });
  afterEach(async () => {
    socket?.close();
    await t.close();
    await deleteNamespace(RABBIT_URL, ns);
  });

  it('announces installed, unconfirmed and cleared profiles', async () => {
    await aChargePoint(t.store, { id: CP, connectors: 1 });
    const charger = await t.connect(CP);
    let answer = 'Accepted';
    charger.handle('SetChargingProfile' as any, () => ({ status: answer }) as any);
    charger.handle('ClearChargingProfile' as any, () => ({ status: 'Accepted' }) as any);
    await charger.call('BootNotification', aBootNotification());
    const admin = await login(t, 'admin@ev-csms.local', 'admin-password');
    socket = io(t.info.httpUrl, { auth: { token: admin }, transports: ['websocket'], reconnection: false });
    const got: { type: string; data: any }[] = [];
    socket.on('notification', (n: { type: string; data: any }) => got.push(n));
    await new Promise<void>((resolve, reject) => {
      socket!.once('connect', () => resolve());
      socket!.once('connect_error', reject);
    });
    expect(await socket.emitWithAck('join-room', `cms:point:${CP}`)).toMatchObject({ ok: true });

    const set = (id: number) => t.api('/api/charger/set-charging-profile', { token: admin, body: { chargePointId: CP, connectorId: 1, csChargingProfiles: aProfile({ chargingProfileId: id }) } });
    expect((await set(1)).status).toBe(200);
    answer = 'NotSupported';
    expect((await set(2)).status).toBe(200);
    expect((await t.api('/api/charger/clear-charging-profile', { token: admin, body: { chargePointId: CP, id: 1 } })).status).toBe(200);

    await waitFor(() => got.some((n) => n.type === 'charging_profile.cleared'));
    expect(got.find((n) => n.type === 'charging_profile.installed')!.data).toMatchObject({ chargePointId: CP, connectorId: 1, chargingProfileId: 1, purpose: 'TxDefaultProfile' });
    expect(got.find((n) => n.type === 'charging_profile.unconfirmed')!.data).toMatchObject({ chargePointId: CP, chargingProfileId: 2, status: 'NotSupported', unconfirmed: { count: 1 } });
    expect(got.find((n) => n.type === 'charging_profile.cleared')!.data).toMatchObject({ chargePointId: CP, removed: 1, filter: { id: 1 } });
  });
});
