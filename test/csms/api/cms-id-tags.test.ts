import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aChargePoint, aNewSession } from '../builders.ts';
import { errorOf, startApi, type ApiHarness } from './harness.ts';

let h: ApiHarness;
beforeEach(async () => { h = await startApi(); });
afterEach(async () => { await h.close(); });

const admin = (path: string, init: { method?: string; body?: unknown } = {}) => h.call(path, { ...init, token: h.adminToken });
async function json(res: Response | Promise<Response>, status: number): Promise<any> {
  const r = await res;
  const text = await r.text();
  expect(r.status, text).toBe(status);
  return text ? JSON.parse(text) : null;
}
const codeOf = async (res: Response | Promise<Response>) => (await errorOf(await res)).code;

describe('/api/cms/customers/:id/id-tags', () => {
  it('lists the cards, adds one with or without an idTag, refuses a taken or malformed idTag', async () => {
    const { user } = await h.customer({ idTag: 'ANN-MAIN' });
    const other = await h.customer({ idTag: 'BOB-MAIN' });
    const cards = `/api/cms/customers/${user.id}/id-tags`;
    expect((await json(admin(cards), 200)).items).toEqual([
      { idTag: 'ANN-MAIN', customerId: user.id, label: null, blocked: false, expiresAt: null, maxConcurrent: 1, createdAt: expect.any(String), primary: true, activeSessions: 0 },
    ]);

    const van = await json(admin(cards, { body: { idTag: 'ANN-VAN', label: 'Van', maxConcurrent: 3, expiresAt: '2031-01-01T01:00:00+01:00' } }), 201);
    expect(van).toMatchObject({ idTag: 'ANN-VAN', label: 'Van', maxConcurrent: 3, expiresAt: '2031-01-01T00:00:00.000Z', blocked: false, primary: false });
    const generated = await json(admin(cards, { body: { label: 'spare' } }), 201);
    expect(generated.idTag).toMatch(/^[0-9A-F]{16}$/);
    expect((await json(admin(cards), 200)).items.map((c: any) => c.idTag)).toEqual(['ANN-MAIN', 'ANN-VAN', generated.idTag]);

    // Unique over all accounts, another customer's primary included, in any case (CiString20).
    for (const idTag of ['bob-main', 'ann-van']) {
      const res = await admin(cards, { body: { idTag } });
      expect(res.status).toBe(409);
      expect(await codeOf(res)).toBe('CSMS_ERR_ID_TAG_TAKEN');
    }
    // OCPP IdToken is CiString20: 1 to 20 characters.
    for (const body of [{ idTag: '' }, { idTag: 'X'.repeat(21) }, { maxConcurrent: 0 }, { maxConcurrent: 1.5 }, { expiresAt: 'tomorrow' }, { primary: false }]) {
      const res = await admin(cards, { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await codeOf(res)).toBe('CSMS_ERR_VALIDATION');
    }
    expect(await json(admin(cards, { body: { idTag: 'X'.repeat(20) } }), 201)).toMatchObject({ idTag: 'X'.repeat(20) });
    expect((await h.store.idTags.listForCustomer(other.user.id)).map((c) => c.idTag)).toEqual(['BOB-MAIN']);
    expect(h.notifications.filter((n) => n.type === 'customer.updated' && n.recipients.includes(user.id))).toHaveLength(3);
  });

  it('blocks and unblocks a card, changes its limit and expiry, makes it primary; the customer view shows the cards', async () => {
    const { user } = await h.customer({ idTag: 'MAIN' });
    await json(admin(`/api/cms/customers/${user.id}/id-tags`, { body: { idTag: 'SPARE' } }), 201);
    const card = `/api/cms/customers/${user.id}/id-tags/spare`;
    expect(await json(admin(card, { method: 'PUT', body: { blocked: true } }), 200)).toMatchObject({ idTag: 'SPARE', blocked: true, maxConcurrent: 1 });
    expect((await h.store.idTags.get('SPARE'))!.blocked).toBe(true);
    expect(await json(admin(card, { method: 'PUT', body: { blocked: false, maxConcurrent: 50, label: 'fleet', expiresAt: null } }), 200)).toMatchObject({ blocked: false, maxConcurrent: 50, label: 'fleet', expiresAt: null });
    expect(await json(admin(card, { method: 'PUT', body: { primary: true } }), 200)).toMatchObject({ primary: true });

    const view = await json(admin(`/api/cms/customers/${user.id}`), 200);
    expect(view).toMatchObject({ idTag: 'SPARE', maxConcurrentSessions: 1 });
    expect(view.idTags.map((c: any) => [c.idTag, c.primary, c.maxConcurrent])).toEqual([['SPARE', true, 50], ['MAIN', false, 1]]);
    expect((await json(admin('/api/cms/customers?q=main'), 200)).items.map((c: any) => c.id)).toEqual([user.id]);
  });

  it('sets how many sessions a customer may run at once, on create and update', async () => {
    const created = await json(admin('/api/cms/customers', { body: { email: 'fleet@example.test', password: 'password-fleet', name: 'Fleet', maxConcurrentSessions: 20 } }), 201);
    expect(created).toMatchObject({ maxConcurrentSessions: 20, idTags: [{ idTag: created.idTag, primary: true }] });
    expect(await json(admin(`/api/cms/customers/${created.id}`, { method: 'PUT', body: { maxConcurrentSessions: 3 } }), 200)).toMatchObject({ maxConcurrentSessions: 3 });
    expect((await h.store.users.get(created.id))!.maxConcurrentSessions).toBe(3);
    for (const maxConcurrentSessions of [0, -1, 10_001]) {
      expect(await codeOf(admin(`/api/cms/customers/${created.id}`, { method: 'PUT', body: { maxConcurrentSessions } }))).toBe('CSMS_ERR_VALIDATION');
    }
  });

  it('deletes a card unless it charges; another customer\'s card is not found; customers may not', async () => {
    const { user, token } = await h.customer({ idTag: 'MAIN' });
    const other = await h.customer({ idTag: 'OTHER' });
    await json(admin(`/api/cms/customers/${user.id}/id-tags`, { body: { idTag: 'SPARE' } }), 201);
    await h.store.chargePoints.create(aChargePoint({ id: 'CP-D' }));
    const { session } = await h.store.sessions.start(aNewSession({ chargePointId: 'CP-D', customerId: user.id, idTag: 'main' }));
    expect((await json(admin(`/api/cms/customers/${user.id}/id-tags`), 200)).items.map((c: any) => [c.idTag, c.activeSessions])).toEqual([['MAIN', 1], ['SPARE', 0]]);

    const busy = await admin(`/api/cms/customers/${user.id}/id-tags/MAIN`, { method: 'DELETE' });
    expect(busy.status).toBe(409);
    expect(await codeOf(busy)).toBe('CSMS_ERR_IN_USE');
    await h.store.sessions.complete(session.id, { meterStop: 2000, energyWh: 1000, costMinor: 0, stoppedAt: '2024-05-01T11:00:00Z', reason: null });
    expect(await json(admin(`/api/cms/customers/${user.id}/id-tags/MAIN`, { method: 'DELETE' }), 204)).toBeNull();
    // The oldest other card is primary now.
    expect(await json(admin(`/api/cms/customers/${user.id}`), 200)).toMatchObject({ idTag: 'SPARE' });

    for (const [method, path] of [['PUT', `/api/cms/customers/${user.id}/id-tags/OTHER`], ['DELETE', `/api/cms/customers/${user.id}/id-tags/OTHER`], ['DELETE', `/api/cms/customers/${user.id}/id-tags/MAIN`]] as const) {
      const res = await admin(path, { method, ...(method === 'PUT' ? { body: { blocked: true } } : {}) });
      expect(res.status, path).toBe(404);
      expect(await codeOf(res)).toBe('CSMS_ERR_ID_TAG_NOT_FOUND');
    }
    expect(await h.store.idTags.get('OTHER')).toMatchObject({ customerId: other.user.id, blocked: false });
    expect(await codeOf(admin('/api/cms/customers/9999/id-tags'))).toBe('CSMS_ERR_NOT_FOUND');
    expect((await h.call(`/api/cms/customers/${user.id}/id-tags`, { token })).status).toBe(403);
  });
});

describe('GET /api/user/id-tags', () => {
  it('lists the caller\'s own cards only, primary first', async () => {
    const ann = await h.customer({ idTag: 'ANN-1' });
    await h.customer({ idTag: 'BOB-1' });
    await h.store.idTags.create({ idTag: 'ANN-2', customerId: ann.user.id, maxConcurrent: 4 });
    await h.store.idTags.makePrimary('ANN-2');
    const own = await json(h.call('/api/user/id-tags', { token: ann.token }), 200);
    expect(own.items.map((c: any) => [c.idTag, c.primary, c.maxConcurrent])).toEqual([['ANN-2', true, 4], ['ANN-1', false, 1]]);
    expect((await h.call('/api/user/id-tags', { token: h.adminToken })).status).toBe(403);
  });
});
