/**
 * Commands through the real gateway to a real OCPP client acting as the charger: what the charger
 * answers is what the API reports.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aBootNotification, connectOcpp, OcppError, type OcppConnection } from '../../../src/ocpp/index.ts';
import { openRawPeer } from '../../../src/simulator/raw-peer.ts';
import { aChargePoint, aStation } from '../builders.ts';
import { errorOf, startApi, type ApiHarness } from './harness.ts';

let h: ApiHarness;
let charger: OcppConnection<any, any, unknown>;

beforeEach(async () => {
  h = await startApi({ ocppCallTimeoutMs: 300 }, { live: true });
  const station = await h.store.stations.create(aStation());
  await h.store.chargePoints.create(aChargePoint({ id: 'CP-LIVE', stationId: station.id, registrationStatus: 'Accepted', connectors: 1 }));
  charger = await connectOcpp(h.ocppUrl, 'CP-LIVE');
  await charger.call('BootNotification', aBootNotification());
  await h.store.chargePoints.upsertConnector({ chargePointId: 'CP-LIVE', connectorId: 1, status: 'Available', errorCode: 'NoError', info: null }, new Date().toISOString());
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
    expect(await h.store.commands.get(body.commandId)).toMatchObject({ status: 'answered', response: { status: 'Accepted' } });
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

describe('a command that breaks the OCPP 1.6 schema', () => {
  const profile = {
    chargingProfileId: 1, stackLevel: 0, chargingProfilePurpose: 'TxProfile', chargingProfileKind: 'Absolute',
    chargingSchedule: { chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 11000 }] },
  };
  const remoteStart = (chargePointId: string, chargingProfile: unknown) =>
    h.call('/api/charger/remote-start', { token: h.adminToken, body: { chargePointId, idTag: 'TAG1', connectorId: 1, chargingProfile } });

  it('is refused with 400 CSMS_ERR_VALIDATION naming the field: nothing sent, nothing audited', async () => {
    const seen: unknown[] = [];
    charger.handle('RemoteStartTransaction', (req: unknown) => { seen.push(req); return { status: 'Accepted' }; });
    const { chargingSchedule: _omitted, ...withoutSchedule } = profile;
    const bad: [unknown, string, RegExp][] = [
      [{ ...profile, chargingProfileKind: 'Sometimes' }, 'body.chargingProfile.chargingProfileKind', /must be one of Absolute, Recurring, Relative/],
      [{ ...profile, chargingSchedule: { ...profile.chargingSchedule, chargingSchedulePeriod: [{ startPeriod: 0, limit: 'high' }] } }, 'body.chargingProfile.chargingSchedule.chargingSchedulePeriod.0.limit', /must be of type number/],
      [withoutSchedule, 'body.chargingProfile.chargingSchedule', /is required/],
    ];
    for (const [chargingProfile, field, reason] of bad) {
      const res = await remoteStart('CP-LIVE', chargingProfile);
      expect(res.status, field).toBe(400);
      const error = await errorOf(res);
      expect(error).toMatchObject({ code: 'CSMS_ERR_VALIDATION', data: { field, reason: expect.stringMatching(reason) } });
      expect(error.message).toMatch(/^The request is invalid: RemoteStartTransaction\.req breaks the OCPP 1\.6 schema: /);
      expect(error.message).not.toMatch(/CALLERROR/);
    }
    expect(seen).toEqual([]);
    expect(await h.store.commands.list('CP-LIVE')).toEqual([]);
    // The same body with a valid profile reaches the charger: the refusals were about those fields.
    const ok = await remoteStart('CP-LIVE', profile);
    expect(ok.status).toBe(200);
    expect(seen).toEqual([{ idTag: 'TAG1', connectorId: 1, chargingProfile: profile }]);
    expect(await h.store.commands.list('CP-LIVE')).toHaveLength(1);
  });

  it('is a 400 even when the charger is not connected: the payload is checked first', async () => {
    await h.store.chargePoints.create(aChargePoint({ id: 'CP-AWAY', registrationStatus: 'Accepted', connectors: 1 }));
    const res = await remoteStart('CP-AWAY', { ...profile, chargingProfilePurpose: 'Whatever' });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: 'CSMS_ERR_VALIDATION', data: { field: 'body.chargingProfile.chargingProfilePurpose' } });
    expect(await h.store.commands.list('CP-AWAY')).toEqual([]);
  });
});

describe('a charger answer that breaks OCPP 1.6 is not a CALLERROR', () => {
  it('a customer start answered with {status: "Maybe"}: 502 CSMS_ERR_CHARGER_INVALID_ANSWER, audited as an invalid answer', async () => {
    const { token } = await h.customer({ balance: 5000 });
    // A raw socket of the same identity replaces the client's connection: it answers whatever we write.
    const raw = await openRawPeer(h.ocppUrl, 'CP-LIVE');
    const pending = h.call('/api/user/charging/start', { token, body: { chargePointId: 'CP-LIVE', connectorId: 1 } });
    const call = await raw.next();
    expect(call.slice(0, 3)).toEqual([2, expect.any(String), 'RemoteStartTransaction']);
    raw.send([3, call[1], { status: 'Maybe' }]);
    const res = await pending;
    expect(res.status).toBe(502);
    const error = await errorOf(res);
    expect(error).toMatchObject({
      code: 'CSMS_ERR_CHARGER_INVALID_ANSWER',
      data: { commandId: expect.any(String), answer: { status: 'Maybe' }, error: { code: 'PropertyConstraintViolation', description: expect.stringMatching(/"status" must be one of Accepted, Rejected/) } },
    });
    expect(error.message).toMatch(/^The charge point's answer breaks OCPP 1\.6: CP-LIVE: /);
    expect(error.message).not.toMatch(/CALLERROR/);
    expect(await h.store.commands.get(error.data!.commandId as string)).toMatchObject({
      action: 'RemoteStartTransaction', status: 'error', response: { kind: 'invalid-answer', code: 'PropertyConstraintViolation', answer: { status: 'Maybe' } },
    });
    raw.close();
  });

  it('an admin command answered with a malformed frame: 502 CSMS_ERR_CHARGER_INVALID_ANSWER; a CALLERROR stays CSMS_ERR_CHARGER_ERROR', async () => {
    const raw = await openRawPeer(h.ocppUrl, 'CP-LIVE');
    const send = () => h.call('/api/charger/change-configuration', { token: h.adminToken, body: { chargePointId: 'CP-LIVE', key: 'HeartbeatInterval', value: '30' } });
    let pending = send();
    let call = await raw.next();
    raw.send([3, call[1]]);
    let res = await pending;
    expect(res.status).toBe(502);
    const malformed = await errorOf(res);
    expect(malformed).toMatchObject({ code: 'CSMS_ERR_CHARGER_INVALID_ANSWER', data: { error: { description: expect.stringMatching(/^malformed answer: /) } } });
    expect(await h.store.commands.get(malformed.data!.commandId as string)).toMatchObject({ status: 'error', response: { kind: 'invalid-answer', answer: `[3,"${String(call[1])}"]` } });

    pending = send();
    call = await raw.next();
    raw.send([4, call[1], 'NotSupported', 'no such key here', {}]);
    res = await pending;
    expect(res.status).toBe(502);
    const callError = await errorOf(res);
    expect(callError).toMatchObject({ code: 'CSMS_ERR_CHARGER_ERROR', data: { error: { code: 'NotSupported', description: 'no such key here' } } });
    expect((await h.store.commands.get(callError.data!.commandId as string))?.response).not.toHaveProperty('kind');
    raw.close();
  });
});
