/**
 * Delivery and rooms over real sockets. "Receives nothing" is asserted with a marker: socket.io keeps
 * one socket's messages in order, so when a later marker has arrived, an earlier notification that
 * was sent to the same socket would have arrived before it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CMS_ROOMS, pointRoom } from '../../../src/csms/domain/notification-routing.ts';
import { startNotifier, type NotifierHarness } from './harness.ts';

describe('notifier delivery', () => {
  let h: NotifierHarness;
  beforeEach(async () => {
    h = await startNotifier();
  });
  afterEach(async () => {
    await h.close();
  });

  it('delivers a customer notification to that customer only, without the routing lists', async () => {
    const a = await h.api.customer();
    const b = await h.api.customer();
    const ca = await h.client(a.token);
    const cb = await h.client(b.token);

    const forA = h.publish('wallet.updated', { recipients: [a.user.id], data: { customerId: a.user.id, balanceMinor: 500 } });
    const marker = h.publish('wallet.updated', { recipients: [b.user.id], data: { customerId: b.user.id, balanceMinor: 0 } });

    expect(await ca.receive(forA.id)).toEqual({ id: forA.id, type: 'wallet.updated', data: { customerId: a.user.id, balanceMinor: 500 }, timestamp: forA.timestamp });
    await cb.receive(marker.id);
    expect(cb.got.map((n) => n.id)).toEqual([marker.id]);
    expect(ca.got.map((n) => n.id)).toEqual([forA.id]);
  });

  it('lets a customer join its own room but not another customer\'s, and counts and logs the refusal', async () => {
    const a = await h.api.customer();
    const b = await h.api.customer();
    const ca = await h.client(a.token);

    expect(await ca.join(`customer:${b.user.id}`)).toEqual({ ok: false, error: { code: 'CSMS_ERR_FORBIDDEN', message: expect.stringContaining(`customer:${b.user.id}`) } });
    expect(await ca.join(`customer:${a.user.id}`)).toEqual({ ok: true, room: `customer:${a.user.id}` });
    // The `{ room }` payload form.
    expect(await ca.join({ room: `customer:${b.user.id}` })).toMatchObject({ ok: false, error: { code: 'CSMS_ERR_FORBIDDEN' } });

    const forB = h.publish('charging.started', { recipients: [b.user.id] });
    const marker = h.publish('charging.started', { recipients: [a.user.id] });
    await ca.receive(marker.id);
    expect(ca.got.map((n) => n.id)).toEqual([marker.id]);
    expect(forB.id).not.toBe(marker.id);

    const stats = h.notifier.stats();
    expect(stats.refusedJoins).toBe(2);
    expect(stats.refusedJoinsByReason).toEqual({ 'other-customer': 2 });
    expect(stats.acceptedJoins).toBe(1);
    expect(h.logLines.filter((l) => l.msg === 'room join refused')).toEqual([
      expect.objectContaining({ level: 30, userId: a.user.id, room: `customer:${b.user.id}`, reason: 'other-customer' }),
      expect.objectContaining({ level: 30, userId: a.user.id, reason: 'other-customer' }),
    ]);
  });

  it('refuses CMS rooms to a customer and malformed names to anyone; a join without ack does not crash', async () => {
    const a = await h.api.customer();
    const ca = await h.client(a.token);
    const admin = await h.client(h.api.adminToken);

    expect(await ca.join(CMS_ROOMS.points)).toMatchObject({ ok: false, error: { code: 'CSMS_ERR_FORBIDDEN' } });
    expect(await ca.join(pointRoom('CP-1'))).toMatchObject({ ok: false, error: { code: 'CSMS_ERR_FORBIDDEN' } });
    expect(await admin.join(`customer:${a.user.id}`)).toMatchObject({ ok: false, error: { code: 'CSMS_ERR_FORBIDDEN' } });
    for (const bad of ['lobby', 42, null, { room: 7 }, `cms:point:${'x'.repeat(49)}`, 'cms:point:CP\n1', 'customer:07']) {
      expect(await admin.join(bad), String(bad)).toMatchObject({ ok: false, error: { code: 'CSMS_ERR_VALIDATION' } });
    }
    ca.socket.emit('join-room', CMS_ROOMS.points);
    ca.socket.emit('join-room');
    expect(await ca.join('public:stations')).toEqual({ ok: true, room: 'public:stations' });
    expect(ca.socket.connected).toBe(true);

    const forAdmins = h.publish('charger.status', { rooms: [CMS_ROOMS.points] });
    const marker = h.publish('station.status', { rooms: ['public:stations'] });
    await ca.receive(marker.id);
    expect(ca.got.map((n) => n.id)).toEqual([marker.id]);
    expect(forAdmins.id).not.toBe(marker.id);
    expect(h.notifier.stats().refusedJoinsByReason).toEqual({ 'admin-only': 3, 'customer-only': 1, malformed: 8 });
  });

  it('delivers connector.status and charger.status to an admin that joined cms:points', async () => {
    const admin = await h.client(h.api.adminToken);
    expect(await admin.join(CMS_ROOMS.points)).toEqual({ ok: true, room: 'cms:points' });
    expect(await admin.join(pointRoom('CP 7/ä'))).toEqual({ ok: true, room: 'cms:point:CP 7/ä' });

    const connector = h.publish('connector.status', { rooms: [CMS_ROOMS.points], data: { chargePointId: 'CP-1', connectorId: 1, status: 'Charging' } });
    const charger = h.publish('charger.status', { rooms: [CMS_ROOMS.points], data: { chargePointId: 'CP-1', online: true } });
    expect((await admin.receive(connector.id)).data).toEqual({ chargePointId: 'CP-1', connectorId: 1, status: 'Charging' });
    expect((await admin.receive(charger.id)).type).toBe('charger.status');
  });

  it('sends a socket in several target rooms one copy', async () => {
    const a = await h.api.customer();
    const ca = await h.client(a.token);
    const admin = await h.client(h.api.adminToken);
    await admin.join(CMS_ROOMS.points);
    await admin.join(pointRoom('CP-1'));

    const everywhere = h.publish('connector.status', { recipients: [a.user.id], rooms: [CMS_ROOMS.points, CMS_ROOMS.dashboard, pointRoom('CP-1'), 'public:stations'] });
    const marker = h.publish('dashboard.stats', { rooms: [CMS_ROOMS.dashboard] });
    const customerMarker = h.publish('wallet.updated', { recipients: [a.user.id] });
    await admin.receive(marker.id);
    await ca.receive(customerMarker.id);
    expect(admin.got.map((n) => n.id)).toEqual([everywhere.id, marker.id]);
    expect(ca.got.map((n) => n.id)).toEqual([everywhere.id, customerMarker.id]);
  });

  it('broadcasts public:stations to customers and admins alike', async () => {
    const a = await h.api.customer();
    const b = await h.api.customer();
    const clients = [await h.client(a.token), await h.client(b.token), await h.client(h.api.adminToken)];
    for (const c of clients) expect(await c.join('public:stations')).toEqual({ ok: true, room: 'public:stations' });
    const n = h.publish('station.status', { rooms: ['public:stations'], data: { stationId: 1, online: true } });
    for (const c of clients) expect((await c.receive(n.id)).data).toEqual({ stationId: 1, online: true });
  });

  it('stops delivery after leave-room', async () => {
    const admin = await h.client(h.api.adminToken);
    await admin.join(pointRoom('CP-9'));
    const before = h.publish('ocpp.message', { rooms: [pointRoom('CP-9')] });
    await admin.receive(before.id);

    expect(await admin.leave(pointRoom('CP-9'))).toEqual({ ok: true, room: 'cms:point:CP-9' });
    const after = h.publish('ocpp.message', { rooms: [pointRoom('CP-9')] });
    const marker = h.publish('dashboard.stats', { rooms: [CMS_ROOMS.dashboard] });
    await admin.receive(marker.id);
    expect(admin.got.map((n) => n.id)).toEqual([before.id, marker.id]);
    expect(after.id).not.toBe(marker.id);
    expect(await admin.leave('nowhere')).toMatchObject({ ok: false, error: { code: 'CSMS_ERR_VALIDATION' } });
  });

  it('disconnects a customer at once when an admin blocks the account, after telling it why', async () => {
    const a = await h.api.customer();
    const ca = await h.client(a.token);
    const disconnected = new Promise<string>((resolve) => ca.socket.once('disconnect', resolve));
    const res = await h.api.call(`/api/cms/customers/${a.user.id}`, { method: 'PUT', token: h.api.adminToken, body: { blocked: true } });
    expect(res.status).toBe(200);
    expect(await disconnected).toBe('io server disconnect');
    expect(ca.got.map((n) => n.type)).toEqual(['customer.updated']);
    expect((await h.refusedWith({ token: a.token })).message).toBe('CSMS_ERR_ACCOUNT_BLOCKED');
  });

  it('refuses a join, and disconnects, once the account is blocked behind the notifier\'s back', async () => {
    const a = await h.api.customer();
    const ca = await h.client(a.token);
    const disconnected = new Promise<string>((resolve) => ca.socket.once('disconnect', resolve));
    await h.api.store.users.update(a.user.id, { blocked: true });
    expect(await ca.join(`customer:${a.user.id}`)).toMatchObject({ ok: false, error: { code: 'CSMS_ERR_ACCOUNT_BLOCKED' } });
    expect(await disconnected).toBe('io server disconnect');
    expect(h.notifier.stats().refusedJoinsByReason).toEqual({ account: 1 });
  });
});
