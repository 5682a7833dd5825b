import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyAuthKey } from '../../../src/csms/domain/secrets.ts';
import { aChargePoint, aLogEntry, aNewSession, aStation, aTariffInput } from '../builders.ts';
import { errorOf, startApi, type ApiHarness } from './harness.ts';

let h: ApiHarness;
beforeEach(async () => { h = await startApi(); });
afterEach(async () => { await h.close(); });

const admin = (path: string, init: { method?: string; body?: unknown } = {}) => h.call(path, { ...init, token: h.adminToken });
const json = async (res: Response | Promise<Response>) => (await (await res).json()) as any;
const pushed = (type: string) => h.notifications.filter((n) => n.type === type);

describe('/api/cms/stations', () => {
  it('creates, reads, partially updates and deletes, notifying cms:stations', async () => {
    const created = await admin('/api/cms/stations', { body: { name: 'Harbour', address: 'Quay 1', latitude: 52.1, longitude: 4.3 } });
    expect(created.status).toBe(201);
    const station = await created.json() as any;
    expect(station).toMatchObject({ name: 'Harbour', address: 'Quay 1', latitude: 52.1 });
    expect(pushed('station.created')[0].rooms).toEqual(expect.arrayContaining(['cms:stations', 'cms:dashboard']));

    const updated = await json(admin(`/api/cms/stations/${station.id}`, { method: 'PUT', body: { name: 'Harbour North' } }));
    expect(updated).toMatchObject({ name: 'Harbour North', address: 'Quay 1' });
    expect(pushed('station.updated')).toHaveLength(1);

    await h.store.chargePoints.create(aChargePoint({ id: 'CP-H1', stationId: station.id }));
    await h.store.chargePoints.create(aChargePoint({ id: 'CP-H2', stationId: station.id }));
    await h.store.chargePoints.setOnline('CP-H2', true, new Date().toISOString());
    const list = await json(admin('/api/cms/stations'));
    expect(list.items).toEqual([expect.objectContaining({ id: station.id, chargePointCount: 2, chargePointsOnline: 1 })]);
    expect(list).toMatchObject({ total: 1, limit: 50, offset: 0 });
    expect(await json(admin(`/api/cms/points?stationId=${station.id}&limit=1`))).toMatchObject({ total: 2, limit: 1 });
    expect((await json(admin('/api/cms/tariffs'))).total).toBe(0);
    const detail = await json(admin(`/api/cms/stations/${station.id}`));
    expect(detail.chargePoints.map((p: any) => [p.id, p.connectors.length])).toEqual([['CP-H1', 2], ['CP-H2', 2]]);

    const inUse = await admin(`/api/cms/stations/${station.id}`, { method: 'DELETE' });
    expect(inUse.status).toBe(409);
    expect((await errorOf(inUse)).code).toBe('CSMS_ERR_IN_USE');
    await h.store.chargePoints.delete('CP-H1');
    await h.store.chargePoints.delete('CP-H2');
    const deleted = await admin(`/api/cms/stations/${station.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe('');
    expect(pushed('station.deleted')[0].data).toEqual({ stationId: station.id });
  });

  it('answers 404 for unknown ids and 400 for bad input', async () => {
    for (const [method, body] of [['GET', undefined], ['PUT', { name: 'x' }], ['DELETE', undefined]] as const) {
      const res = await admin('/api/cms/stations/999', { method, body });
      expect(res.status, method).toBe(404);
      expect((await errorOf(res)).code).toBe('CSMS_ERR_NOT_FOUND');
    }
    const res = await admin('/api/cms/stations', { body: { name: 'x', latitude: 91 } });
    expect(await errorOf(res)).toMatchObject({ code: 'CSMS_ERR_VALIDATION', data: { field: 'body.latitude' } });
  });
});

describe('/api/cms/points', () => {
  it('creates with a generated AuthorizationKey shown once and stored only as a hash', async () => {
    const station = await h.store.stations.create(aStation());
    const res = await admin('/api/cms/points', { body: { id: 'CP-NEW', stationId: station.id, connectors: 3, lenient: true, authKey: 'generate' } });
    expect(res.status).toBe(201);
    const point = await res.json() as any;
    expect(point).toMatchObject({ id: 'CP-NEW', stationId: station.id, lenient: true, hasAuthKey: true });
    expect(point.connectors).toHaveLength(3);
    expect(verifyAuthKey(point.authKey, (await h.store.chargePoints.authKeyHash('CP-NEW'))!)).toBe(true);
    const again = await json(admin('/api/cms/points/CP-NEW'));
    expect(again).not.toHaveProperty('authKey');
    expect(JSON.stringify(again)).not.toContain(point.authKey);
    expect(pushed('point.created')[0].rooms).toEqual(expect.arrayContaining(['cms:points', 'cms:point:CP-NEW']));
  });

  it('sets a given key without echoing it, clears it with null, and refuses duplicates', async () => {
    await admin('/api/cms/points', { body: { id: 'CP-K' } });
    const withKey = await json(admin('/api/cms/points/CP-K', { method: 'PUT', body: { authKey: '0123456789abcdef0123' } }));
    expect(withKey).toMatchObject({ hasAuthKey: true });
    expect(withKey).not.toHaveProperty('authKey');
    expect(verifyAuthKey('0123456789abcdef0123', (await h.store.chargePoints.authKeyHash('CP-K'))!)).toBe(true);
    expect(await json(admin('/api/cms/points/CP-K', { method: 'PUT', body: { authKey: null } }))).toMatchObject({ hasAuthKey: false });
    const short = await admin('/api/cms/points/CP-K', { method: 'PUT', body: { authKey: 'short' } });
    expect((await errorOf(short)).code).toBe('CSMS_ERR_VALIDATION');
    const dup = await admin('/api/cms/points', { body: { id: 'CP-K' } });
    expect(dup.status).toBe(409);
    expect((await errorOf(dup)).code).toBe('CSMS_ERR_CONFLICT');
    const noStation = await admin('/api/cms/points', { body: { id: 'CP-X', stationId: 999 } });
    expect(noStation.status).toBe(404);
  });

  it('shows a point with connectors, tariff and active sessions; deletes it', async () => {
    const tariff = await h.store.tariffs.create(aTariffInput({ pricePerKwh: 33 }));
    await h.store.chargePoints.create(aChargePoint({ id: 'CP-D', tariffId: tariff.id }));
    const s = (await h.store.sessions.start(aNewSession({ chargePointId: 'CP-D', tariff }))).session;
    const detail = await json(admin('/api/cms/points/CP-D'));
    expect(detail).toMatchObject({ id: 'CP-D', tariff: { id: tariff.id, pricePerKwh: 33 }, activeSessions: [{ id: s.id, tariff: { pricePerKwh: 33 } }] });
    expect((await json(admin('/api/cms/points'))).items.map((p: any) => p.id)).toEqual(['CP-D']);
    expect((await admin('/api/cms/points/CP-D', { method: 'DELETE' })).status).toBe(409);
    await h.store.sessions.complete(s.id, { meterStop: 1000, energyWh: 0, costMinor: 0, stoppedAt: new Date().toISOString(), reason: null });
    expect((await admin('/api/cms/points/CP-D', { method: 'DELETE' })).status).toBe(204);
    const gone = await admin('/api/cms/points/CP-D');
    expect((await errorOf(gone)).code).toBe('CSMS_ERR_CHARGER_NOT_FOUND');
  });

  it('serves the message log newest first, with afterId as a cursor', async () => {
    await h.store.chargePoints.create(aChargePoint({ id: 'CP-L' }));
    await h.store.messages.insertMany([1, 2, 3].map((n) => aLogEntry({ chargePointId: 'CP-L', messageId: `m${n}` })));
    const all = await json(admin('/api/cms/points/CP-L/messages'));
    expect(all.items.map((m: any) => m.messageId)).toEqual(['m3', 'm2', 'm1']);
    const cursor = all.items[0].id;
    expect((await json(admin(`/api/cms/points/CP-L/messages?afterId=${cursor}`))).items).toEqual([]);
    await h.store.messages.insertMany([aLogEntry({ chargePointId: 'CP-L', messageId: 'm4' })]);
    expect((await json(admin(`/api/cms/points/CP-L/messages?afterId=${cursor}`))).items.map((m: any) => m.messageId)).toEqual(['m4']);
    expect((await json(admin('/api/cms/points/CP-L/messages?limit=1'))).items).toHaveLength(1);
    expect((await admin('/api/cms/points/NOPE/messages')).status).toBe(404);
  });
});

describe('/api/cms/tariffs', () => {
  it('creates, updates, refuses to delete a used tariff, deletes an unused one', async () => {
    const res = await admin('/api/cms/tariffs', { body: { name: 'Day', currency: 'EUR', pricePerKwh: 35, sessionFee: 50 } });
    expect(res.status).toBe(201);
    const tariff = await res.json() as any;
    expect(tariff).toMatchObject({ name: 'Day', pricePerKwh: 35, pricePerMinute: 0, sessionFee: 50 });
    expect(await json(admin(`/api/cms/tariffs/${tariff.id}`, { method: 'PUT', body: { pricePerKwh: 40 } }))).toMatchObject({ name: 'Day', pricePerKwh: 40 });
    expect((await json(admin('/api/cms/tariffs'))).items).toHaveLength(1);
    await h.store.chargePoints.create(aChargePoint({ id: 'CP-T', tariffId: tariff.id }));
    expect((await errorOf(await admin(`/api/cms/tariffs/${tariff.id}`, { method: 'DELETE' }))).code).toBe('CSMS_ERR_IN_USE');
    await h.store.chargePoints.update('CP-T', { tariffId: null });
    expect((await admin(`/api/cms/tariffs/${tariff.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await admin(`/api/cms/tariffs/${tariff.id}`)).status).toBe(404);
    expect(pushed('tariff.created').length + pushed('tariff.updated').length + pushed('tariff.deleted').length).toBe(3);
  });

  it('refuses fractional prices and bad currencies', async () => {
    for (const [body, field] of [
      [{ name: 'x', currency: 'EUR', pricePerKwh: 0.5 }, 'body.pricePerKwh'],
      [{ name: 'x', currency: 'euro', pricePerKwh: 5 }, 'body.currency'],
      [{ name: 'x', currency: 'EUR', pricePerKwh: 5, sessionFee: -1 }, 'body.sessionFee'],
    ] as const) {
      expect(await errorOf(await admin('/api/cms/tariffs', { body }))).toMatchObject({ code: 'CSMS_ERR_VALIDATION', data: { field } });
    }
  });
});
