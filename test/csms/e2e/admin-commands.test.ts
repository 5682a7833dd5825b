/**
 * Every admin command route against a live charger: the right OCPP action and payload reach the
 * charger, its own answer comes back in the HTTP response, and both the command audit and the OCPP
 * message log record the round trip.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aBootNotification, type OcppConnection } from '../../../src/ocpp/index.ts';
import { COMMAND_ROUTES } from '../../../src/csms/api/routes/charger.ts';
import { aChargePoint, login, startCsms, waitFor, type TestCsms } from '../../helpers/csms.ts';

const CP = 'CP-ADMIN';

interface CommandCase {
  path: string;
  action: string;
  params: Record<string, unknown>;
  /** What must arrive at the charger (default: `params`). */
  onWire?: Record<string, unknown>;
  answer: Record<string, unknown>;
}

// Answers are ones a real charger may give (E2 §6), refusals included: they are answers all the same.
const CASES: CommandCase[] = [
  { path: 'remote-start', action: 'RemoteStartTransaction', params: { idTag: 'ADMIN-TAG', connectorId: 2 }, answer: { status: 'Accepted' } },
  { path: 'remote-stop', action: 'RemoteStopTransaction', params: { transactionId: 4711 }, answer: { status: 'Rejected' } },
  { path: 'change-configuration', action: 'ChangeConfiguration', params: { key: 'HeartbeatInterval', value: '120' }, answer: { status: 'RebootRequired' } },
  {
    path: 'get-configuration', action: 'GetConfiguration', params: { key: ['HeartbeatInterval', 'NoSuchKey'] },
    answer: { configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '300' }], unknownKey: ['NoSuchKey'] },
  },
  { path: 'reset', action: 'Reset', params: { type: 'Soft' }, answer: { status: 'Accepted' } },
  { path: 'unlock', action: 'UnlockConnector', params: { connectorId: 1 }, answer: { status: 'Unlocked' } },
  { path: 'change-availability', action: 'ChangeAvailability', params: { connectorId: 0, type: 'Inoperative' }, answer: { status: 'Scheduled' } },
  { path: 'clear-cache', action: 'ClearCache', params: {}, answer: { status: 'Accepted' } },
  { path: 'trigger', action: 'TriggerMessage', params: { requestedMessage: 'StatusNotification', connectorId: 1 }, answer: { status: 'Accepted' } },
  {
    path: 'send-local-list', action: 'SendLocalList', params: { listVersion: 3, updateType: 'Differential', localAuthorizationList: [{ idTag: 'ADMIN-TAG', idTagInfo: { status: 'Accepted' } }] },
    answer: { status: 'VersionMismatch' },
  },
  { path: 'get-local-list-version', action: 'GetLocalListVersion', params: {}, answer: { listVersion: 2 } },
  { path: 'data-transfer', action: 'DataTransfer', params: { vendorId: 'com.example', messageId: 'Ping', data: '{"n":1}' }, answer: { status: 'Accepted', data: 'pong' } },
  {
    path: 'set-charging-profile', action: 'SetChargingProfile',
    params: {
      connectorId: 0,
      csChargingProfiles: {
        chargingProfileId: 7, stackLevel: 0, chargingProfilePurpose: 'TxDefaultProfile', chargingProfileKind: 'Absolute',
        chargingSchedule: { startSchedule: '2030-01-01T00:00:00.000Z', chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }] },
      },
    },
    answer: { status: 'Rejected' },
  },
  { path: 'clear-charging-profile', action: 'ClearChargingProfile', params: { id: 7 }, answer: { status: 'Unknown' } },
  { path: 'get-composite-schedule', action: 'GetCompositeSchedule', params: { connectorId: 1, duration: 3600, chargingRateUnit: 'W' }, answer: { status: 'Rejected' } },
];

let t: TestCsms;
let charger: OcppConnection<any, any, unknown>;
let adminToken: string;
let adminId: number;

beforeEach(async () => {
  t = await startCsms();
  await aChargePoint(t.store, { id: CP, connectors: 2 });
  charger = await t.connect(CP);
  await charger.call('BootNotification', aBootNotification());
  adminToken = await login(t, 'admin@ev-csms.local', 'admin-password');
  adminId = (await t.store.users.findByEmail('admin@ev-csms.local'))!.id;
});
afterEach(async () => {
  await t.close();
});

async function json<T = any>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

describe('admin commands reach a live charger', () => {
  it('covers every command route', () => {
    expect(CASES.map((c) => [c.path, c.action])).toEqual(COMMAND_ROUTES.map((r) => [r.path, r.action]));
  });

  it.each(CASES)('$path → $action: payload on the wire, answer in the response, audit and log', async ({ path, action, params, onWire, answer }) => {
    const seen: unknown[] = [];
    charger.handle(action as any, (req: unknown) => {
      seen.push(req);
      return answer as any;
    });

    const body = await json(await t.api(`/api/charger/${path}`, { token: adminToken, body: { chargePointId: CP, ...params } }));
    expect(body).toEqual({ commandId: expect.any(String), status: 'answered', response: answer });
    expect(seen).toEqual([onWire ?? params]);

    const audit = await json(await t.api(`/api/charger/${CP}/commands`, { token: adminToken }));
    expect(audit.items).toEqual([expect.objectContaining({
      id: body.commandId, chargePointId: CP, action, request: onWire ?? params,
      status: 'answered', response: answer, requestedBy: `admin:${adminId}`, answeredAt: expect.any(String),
    })]);

    await t.settle();
    // Read through the store here; the REST route is covered below.
    const log = await t.store.messages.list(CP);
    const sent = log.find((m) => m.action === action && m.direction === 'out' && m.messageType === 2);
    expect(sent).toMatchObject({ payload: onWire ?? params, messageId: expect.any(String) });
    const answered = log.find((m) => m.direction === 'in' && m.messageType === 3 && m.messageId === sent!.messageId);
    expect(answered).toMatchObject({ action, payload: answer, latencyMs: expect.any(Number) });
    expect(answered!.id).toBeGreaterThan(sent!.id);
  });

  // Regression: a fractional latencyMs (a performance.now() difference) once broke serialising the log.
  it('GET /api/cms/points/:id/messages serves the log after a command was answered', async () => {
    charger.handle('ClearCache', () => ({ status: 'Accepted' }));
    await json(await t.api('/api/charger/clear-cache', { token: adminToken, body: { chargePointId: CP } }));
    await t.settle();
    const items = (await json(await t.api(`/api/cms/points/${CP}/messages`, { token: adminToken }))).items as any[];
    expect(items.slice(0, 2)).toEqual([
      expect.objectContaining({ direction: 'in', messageType: 3, action: 'ClearCache', payload: { status: 'Accepted' } }),
      expect.objectContaining({ direction: 'out', messageType: 2, action: 'ClearCache', payload: {} }),
    ]);
  });

  it('a triggered message is sent by the charger after its answer and lands in the log', async () => {
    charger.handle('TriggerMessage', () => {
      setImmediate(() => void charger.call('Heartbeat', {}));
      return { status: 'Accepted' };
    });
    const body = await json(await t.api('/api/charger/trigger', { token: adminToken, body: { chargePointId: CP, requestedMessage: 'Heartbeat' } }));
    expect(body.response).toEqual({ status: 'Accepted' });

    const heartbeat = await waitFor(async () => {
      const entries = await t.store.messages.list(CP);
      return entries.find((m) => m.action === 'Heartbeat' && m.direction === 'in' && m.messageType === 2);
    });
    const answered = (await t.store.messages.list(CP)).find((m) => m.action === 'Heartbeat' && m.direction === 'out' && m.messageType === 3 && m.messageId === heartbeat.messageId);
    expect(answered?.payload).toEqual({ currentTime: expect.any(String) });
  });

  it('a CALLERROR from the charger is 502 CSMS_ERR_CHARGER_ERROR and audited as an error', async () => {
    // No Reset handler on this charger: it answers CALLERROR NotSupported, as a charger without the feature would.
    const res = await t.api('/api/charger/reset', { token: adminToken, body: { chargePointId: CP, type: 'Hard' } });
    expect(res.status).toBe(502);
    const error = (await res.json()).error;
    expect(error.code).toBe('CSMS_ERR_CHARGER_ERROR');
    const [record] = (await json(await t.api(`/api/charger/${CP}/commands`, { token: adminToken }))).items;
    expect(record).toMatchObject({ id: error.data.commandId, action: 'Reset', request: { type: 'Hard' }, status: 'error', response: { code: 'NotSupported' } });
    expect(error.data.error.code).toBe('NotSupported');
  });

  it('503 CSMS_ERR_CHARGER_OFFLINE once the charger is gone, audited as offline', async () => {
    charger.close();
    // The gateway holds no charger any more (this test connects only CP).
    await waitFor(async () => (await t.csms.stats()).gateway.connected === 0);
    const res = await t.api('/api/charger/clear-cache', { token: adminToken, body: { chargePointId: CP } });
    expect(res.status).toBe(503);
    expect((await res.json()).error.code).toBe('CSMS_ERR_CHARGER_OFFLINE');
    expect(await t.store.commands.list(CP)).toEqual([expect.objectContaining({ action: 'ClearCache', status: 'offline' })]);
  });
});
