import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aChargePoint, aNewSession } from '../builders.ts';
import { errorOf, startApi, type ApiHarness } from './harness.ts';

let h: ApiHarness;
beforeEach(async () => { h = await startApi(); });
afterEach(async () => { await h.close(); });

const admin = (path: string, init: { method?: string; body?: unknown } = {}) => h.call(path, { ...init, token: h.adminToken });
const json = async (res: Response | Promise<Response>) => (await (await res).json()) as any;

describe('/api/cms/customers', () => {
  it('creates a customer who can log in, with a generated idTag unless one is given', async () => {
    const res = await admin('/api/cms/customers', { body: { email: 'Ann@Example.test', password: 'password-ann', name: 'Ann' } });
    expect(res.status).toBe(201);
    const ann = await res.json() as any;
    expect(ann).toMatchObject({ email: 'ann@example.test', role: 'customer', balanceMinor: 0, blocked: false });
    expect(ann.idTag).toMatch(/^[0-9A-F]{16}$/);
    expect(ann).not.toHaveProperty('passwordHash');
    expect(await h.login('ann@example.test', 'password-ann')).toBeTruthy();
    const bob = await json(admin('/api/cms/customers', { body: { email: 'bob@example.test', password: 'password-bob', name: 'Bob', idTag: 'BOB-CARD' } }));
    expect(bob.idTag).toBe('BOB-CARD');
    const dupTag = await admin('/api/cms/customers', { body: { email: 'eve@example.test', password: 'password-eve', name: 'Eve', idTag: 'BOB-CARD' } });
    expect((await errorOf(dupTag)).code).toBe('CSMS_ERR_ID_TAG_TAKEN');
    const dupEmail = await admin('/api/cms/customers', { body: { email: 'BOB@example.test', password: 'password-bob', name: 'Bob 2' } });
    expect((await errorOf(dupEmail)).code).toBe('CSMS_ERR_EMAIL_TAKEN');
    expect(h.notifications.filter((n) => n.type === 'customer.created')).toHaveLength(2);
  });

  it('lists with total and search, updates name/idTag/blocked, deletes', async () => {
    const { user, token } = await h.customer({ name: 'Zed Zulu', balance: 300 });
    await h.customer();
    const list = await json(admin('/api/cms/customers?limit=1'));
    expect(list).toMatchObject({ total: 2, limit: 1 });
    expect(list.items).toHaveLength(1);
    const found = await json(admin('/api/cms/customers?q=Zulu'));
    expect(found.items.map((c: any) => c.id)).toEqual([user.id]);
    expect(found.total).toBe(1);
    expect(await json(admin(`/api/cms/customers/${user.id}`))).toMatchObject({ id: user.id, balanceMinor: 300 });

    const updated = await json(admin(`/api/cms/customers/${user.id}`, { method: 'PUT', body: { name: 'Zed', idTag: 'NEW-TAG', blocked: true } }));
    expect(updated).toMatchObject({ name: 'Zed', idTag: 'NEW-TAG', blocked: true });
    expect(h.notifications.find((n) => n.type === 'customer.updated')!.recipients).toEqual([user.id]);
    expect((await h.call('/api/user/me', { token })).status).toBe(403);

    expect((await admin(`/api/cms/customers/${user.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await admin(`/api/cms/customers/${user.id}`)).status).toBe(404);
    expect((await h.call('/api/user/me', { token })).status).toBe(401);
  });

  it('treats admin accounts as not found and refuses to delete a customer who is charging', async () => {
    const adminId = (await h.store.users.findByEmail(h.config.adminEmail))!.id;
    for (const method of ['GET', 'DELETE'] as const) expect((await admin(`/api/cms/customers/${adminId}`, { method })).status).toBe(404);
    const { user } = await h.customer();
    await h.store.chargePoints.create(aChargePoint({ id: 'CP-C' }));
    await h.store.sessions.start(aNewSession({ chargePointId: 'CP-C', customerId: user.id, idTag: user.idTag! }));
    const res = await admin(`/api/cms/customers/${user.id}`, { method: 'DELETE' });
    expect(res.status).toBe(409);
    expect((await errorOf(res)).code).toBe('CSMS_ERR_IN_USE');
  });
});

describe('/api/cms/sessions and /api/cms/dashboard', () => {
  it('filters sessions by status, charge point, customer and start time, with a total', async () => {
    const a = await h.customer();
    const b = await h.customer();
    for (const id of ['CP-1', 'CP-2']) await h.store.chargePoints.create(aChargePoint({ id }));
    const s1 = (await h.store.sessions.start(aNewSession({ chargePointId: 'CP-1', customerId: a.user.id, idTag: a.user.idTag!, startedAt: '2024-05-01T10:00:00.000Z' }))).session;
    await h.store.sessions.complete(s1.id, { meterStop: 2000, energyWh: 1000, costMinor: 30, stoppedAt: '2024-05-01T11:00:00.000Z', reason: null });
    const s2 = (await h.store.sessions.start(aNewSession({ chargePointId: 'CP-2', customerId: b.user.id, idTag: b.user.idTag!, startedAt: '2024-06-01T10:00:00.000Z' }))).session;

    const ids = async (query: string) => {
      const body = await json(admin(`/api/cms/sessions${query}`));
      return { ids: body.items.map((s: any) => s.id), total: body.total };
    };
    expect(await ids('')).toEqual({ ids: [s2.id, s1.id], total: 2 });
    expect(await ids('?status=active')).toEqual({ ids: [s2.id], total: 1 });
    expect(await ids('?chargePointId=CP-1')).toEqual({ ids: [s1.id], total: 1 });
    expect(await ids(`?customerId=${b.user.id}`)).toEqual({ ids: [s2.id], total: 1 });
    expect(await ids('?from=2024-05-15T00:00:00Z')).toEqual({ ids: [s2.id], total: 1 });
    expect(await ids('?to=2024-05-15T00:00:00Z')).toEqual({ ids: [s1.id], total: 1 });
    expect(await ids('?limit=1&offset=1')).toEqual({ ids: [s1.id], total: 2 });
    const bad = await admin('/api/cms/sessions?status=paused');
    expect(await errorOf(bad)).toMatchObject({ code: 'CSMS_ERR_VALIDATION', data: { field: 'querystring.status' } });
  });

  it('GET /dashboard returns the store\'s figures', async () => {
    await h.customer();
    await h.store.chargePoints.create(aChargePoint({ id: 'CP-1' }));
    await h.store.chargePoints.setOnline('CP-1', true, new Date().toISOString());
    expect(await json(admin('/api/cms/dashboard'))).toMatchObject({ customers: 1, chargePoints: 1, chargePointsOnline: 1, activeSessions: 0 });
  });
});
