import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMMAND_ROUTES } from '../../../src/csms/api/routes/charger.ts';
import { aChargePoint } from '../builders.ts';
import { errorOf, startApi, type ApiHarness } from './harness.ts';

let h: ApiHarness;
beforeEach(async () => { h = await startApi(); });
afterEach(async () => { await h.close(); });

/** A valid body for each command route, so each refusal below differs in one field only. */
const validParams: Record<string, Record<string, unknown>> = {
  'remote-start': { idTag: 'TAG1', connectorId: 1 },
  'remote-stop': { transactionId: 7 },
  'change-configuration': { key: 'HeartbeatInterval', value: '60' },
  'get-configuration': { key: ['HeartbeatInterval'] },
  reset: { type: 'Soft' },
  unlock: { connectorId: 1 },
  'change-availability': { connectorId: 0, type: 'Inoperative' },
  'clear-cache': {},
  trigger: { requestedMessage: 'StatusNotification', connectorId: 1 },
  'data-transfer': { vendorId: 'com.example', messageId: 'Ping', data: 'x' },
  'set-charging-profile': {
    connectorId: 0,
    csChargingProfiles: { chargingProfileId: 1, stackLevel: 0, chargingProfilePurpose: 'TxDefaultProfile', chargingProfileKind: 'Relative', chargingSchedule: { chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 7400 }] } },
  },
  'clear-charging-profile': { id: 1 },
  'get-composite-schedule': { connectorId: 1, duration: 600 },
  'send-local-list': { listVersion: 2, updateType: 'Differential', localAuthorizationList: [{ idTag: 'TAG1', idTagInfo: { status: 'Accepted' } }, { idTag: 'TAG2' }] },
  'get-local-list-version': {},
};

describe('admin charger commands', () => {
  it('has a valid body for every command route', () => {
    expect(Object.keys(validParams).sort()).toEqual(COMMAND_ROUTES.map((r) => r.path).sort());
  });

  it('validates parameters per OCPP 1.6 before anything is sent', async () => {
    const cp = await h.store.chargePoints.create(aChargePoint());
    const bad: [string, Record<string, unknown>, string][] = [
      ['reset', { type: 'Warm' }, 'body.type'],
      ['reset', {}, 'body.type'],
      ['trigger', { requestedMessage: 'StartTransaction' }, 'body.requestedMessage'],
      ['change-availability', { connectorId: -1, type: 'Operative' }, 'body.connectorId'],
      ['change-availability', { connectorId: 1, type: 'Broken' }, 'body.type'],
      ['unlock', { connectorId: 0 }, 'body.connectorId'],
      ['change-configuration', { key: 'K'.repeat(51), value: '1' }, 'body.key'],
      ['remote-start', { idTag: 'T'.repeat(21) }, 'body.idTag'],
      ['remote-stop', { transactionId: '7' }, 'body.transactionId'],
      ['data-transfer', { messageId: 'x' }, 'body.vendorId'],
      ['clear-cache', { force: true }, 'body.force'],
      ['send-local-list', { listVersion: 1, updateType: 'Partial' }, 'body.updateType'],
      ['send-local-list', { listVersion: 1, updateType: 'Full', localAuthorizationList: [{ idTag: 'T'.repeat(21) }] }, 'body.localAuthorizationList.0.idTag'],
    ];
    for (const [path, params, field] of bad) {
      const res = await h.call(`/api/charger/${path}`, { token: h.adminToken, body: { chargePointId: cp.id, ...params } });
      expect(res.status, `${path} ${JSON.stringify(params)}`).toBe(400);
      expect(await errorOf(res)).toMatchObject({ code: 'CSMS_ERR_VALIDATION', data: { field } });
    }
    expect(await h.store.commands.list(cp.id)).toEqual([]);
  });

  it('answers 404 CSMS_ERR_CHARGER_NOT_FOUND for an unknown charge point', async () => {
    for (const route of COMMAND_ROUTES) {
      const res = await h.call(`/api/charger/${route.path}`, { token: h.adminToken, body: { chargePointId: 'NOPE', ...validParams[route.path] } });
      expect(res.status, route.path).toBe(404);
      expect((await errorOf(res)).code).toBe('CSMS_ERR_CHARGER_NOT_FOUND');
    }
  });

  it('sends valid commands to the gateway: an unconnected charger is 503, and audited', async () => {
    const cp = await h.store.chargePoints.create(aChargePoint());
    for (const route of COMMAND_ROUTES) {
      const res = await h.call(`/api/charger/${route.path}`, { token: h.adminToken, body: { chargePointId: cp.id, ...validParams[route.path] } });
      expect(res.status, route.path).toBe(503);
      expect((await errorOf(res)).code).toBe('CSMS_ERR_CHARGER_OFFLINE');
    }
    const audit = await h.call(`/api/charger/${cp.id}/commands?limit=100`, { token: h.adminToken });
    expect(audit.status).toBe(200);
    const { items } = (await audit.json()) as { items: { action: string; status: string; request: unknown }[] };
    expect(items.map((c) => c.action).sort()).toEqual(COMMAND_ROUTES.map((r) => r.action).sort());
    expect(items.every((c) => c.status === 'offline')).toBe(true);
    expect(items.find((c) => c.action === 'Reset')!.request).toEqual({ type: 'Soft' });
  });

  it('GET /:id/commands is 404 for an unknown charge point and pages', async () => {
    expect((await errorOf(await h.call('/api/charger/NOPE/commands', { token: h.adminToken }))).code).toBe('CSMS_ERR_CHARGER_NOT_FOUND');
    const cp = await h.store.chargePoints.create(aChargePoint());
    for (let i = 0; i < 3; i++) await h.call('/api/charger/clear-cache', { token: h.adminToken, body: { chargePointId: cp.id } });
    const page = (await (await h.call(`/api/charger/${cp.id}/commands?limit=2&offset=2`, { token: h.adminToken })).json()) as { items: unknown[] };
    expect(page.items).toHaveLength(1);
  });

  it('refuses callers without a token', async () => {
    const res = await h.call('/api/charger/reset', { body: { chargePointId: 'CP-1', type: 'Hard' } });
    expect(res.status).toBe(401);
  });
});
