/**
 * Commands through the real gateway to a real OCPP client acting as the charger: what the charger
 * answers is what the API reports.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aBootNotification, connectOcpp, OcppError, type OcppConnection } from '../../../src/ocpp/index.ts';
import { aChargePoint, aStation } from '../builders.ts';
import { errorOf, startApi, type ApiHarness } from './harness.ts';

let h: ApiHarness;
let charger: OcppConnection<any, any, unknown>;

beforeEach(async () => {
  h = await startApi({ ocppCallTimeoutMs: 300 }, { live: true });
  const station = h.store.stations.create(aStation());
  h.store.chargePoints.create(aChargePoint({ id: 'CP-LIVE', stationId: station.id, registrationStatus: 'Accepted', connectors: 1 }));
  charger = await connectOcpp(h.ocppUrl, 'CP-LIVE');
  await charger.call('BootNotification', aBootNotification());
  h.store.chargePoints.upsertConnector({ chargePointId: 'CP-LIVE', connectorId: 1, status: 'Available', errorCode: 'NoError', info: null }, new Date().toISOString());
});
afterEach(async () => {
  charger.close();
  await h.close();
});

describe('customer start against a live charger', () => {
  const start = (token: string) => h.call('/api/user/charging/start', { token, body: { chargePointId: 'CP-LIVE', connectorId: 1 } });

  it('202 Accepted with the idTag sent to the charger', async () => {
    const { user, token } = await h.customer({ balance: 5000 });
    const seen: unknown[] = [];
    charger.handle('RemoteStartTransaction', (req: unknown) => { seen.push(req); return { status: 'Accepted' }; });
    const res = await start(token);
    expect(res.status).toBe(202);
    const body = (await res.json()) as { status: string; commandId: string };
    expect(body.status).toBe('Accepted');
    expect(seen).toEqual([{ connectorId: 1, idTag: user.idTag }]);
    expect(h.store.commands.get(body.commandId)).toMatchObject({ status: 'answered', response: { status: 'Accepted' } });
  });

  it('502 CSMS_ERR_CHARGER_REJECTED, CSMS_ERR_CHARGER_ERROR, and 504 on silence', async () => {
    const { token } = await h.customer({ balance: 5000 });
    charger.handle('RemoteStartTransaction', () => ({ status: 'Rejected' }));
    expect((await errorOf(await start(token))).code).toBe('CSMS_ERR_CHARGER_REJECTED');
    charger.handle('RemoteStartTransaction', () => { throw new OcppError('NotSupported', 'no remote start here'); });
    const err = await start(token);
    expect(err.status).toBe(502);
    expect(await errorOf(err)).toMatchObject({ code: 'CSMS_ERR_CHARGER_ERROR', data: { error: { code: 'NotSupported' } } });
    charger.handle('RemoteStartTransaction', () => new Promise(() => {}));
    const silent = await start(token);
    expect(silent.status).toBe(504);
    expect((await errorOf(silent)).code).toBe('CSMS_ERR_COMMAND_TIMEOUT');
  });
});

describe('admin commands against a live charger', () => {
  it('returns the charger\'s own answer, even a refusal, with 200', async () => {
    charger.handle('ChangeConfiguration', (req: any) => ({ status: req.key === 'Unknown' ? 'NotSupported' : 'Accepted' }));
    const send = (key: string) => h.call('/api/charger/change-configuration', { token: h.adminToken, body: { chargePointId: 'CP-LIVE', key, value: '30' } });
    const ok = await send('HeartbeatInterval');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: 'answered', response: { status: 'Accepted' } });
    expect(await (await send('Unknown')).json()).toMatchObject({ status: 'answered', response: { status: 'NotSupported' } });
  });
});
