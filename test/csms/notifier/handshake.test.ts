import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startNotifier, type NotifierHarness } from './harness.ts';

describe('notifier handshake', () => {
  let h: NotifierHarness;
  beforeEach(async () => {
    h = await startNotifier();
  });
  afterEach(async () => {
    await h.close();
  });

  it('refuses a connection without a token', async () => {
    const err = await h.refusedWith({});
    expect(err.message).toBe('CSMS_ERR_UNAUTHORIZED');
    expect(err.data?.code).toBe('CSMS_ERR_UNAUTHORIZED');
    expect(err.data?.message).toMatch(/no token/);
  });

  it('refuses a forged or garbage token', async () => {
    const forged = h.api.adminToken.slice(0, -4) + 'AAAA';
    expect((await h.refusedWith({ token: forged })).message).toBe('CSMS_ERR_UNAUTHORIZED');
    expect((await h.refusedWith({ token: 'not-a-jwt' })).message).toBe('CSMS_ERR_UNAUTHORIZED');
    expect(h.notifier.stats().refusedConnections).toEqual({ CSMS_ERR_UNAUTHORIZED: 2 });
  });

  it('refuses a blocked account whose token is still valid', async () => {
    const { user, token } = await h.api.customer();
    await h.api.store.users.update(user.id, { blocked: true });
    const err = await h.refusedWith({ token });
    expect(err.message).toBe('CSMS_ERR_ACCOUNT_BLOCKED');
    expect(err.data?.message).toBe('This account is blocked');
  });

  it('refuses a deleted account as unauthorized, like the REST guard', async () => {
    const { user, token } = await h.api.customer();
    await h.api.store.users.delete(user.id);
    expect((await h.refusedWith({ token })).message).toBe('CSMS_ERR_UNAUTHORIZED');
  });

  it('accepts auth.token and keeps the stored user id and role on socket.data', async () => {
    const { user, token } = await h.api.customer();
    await h.client(token);
    await h.client(h.api.adminToken);
    const data = (await h.notifier.io.fetchSockets()).map((s) => s.data).sort((a, b) => a.userId - b.userId);
    const adminId = (await h.api.store.users.findByEmail(h.api.config.adminEmail))!.id;
    expect(data).toEqual([{ userId: adminId, role: 'admin' }, { userId: user.id, role: 'customer' }].sort((a, b) => a.userId - b.userId));
  });

  it('accepts an Authorization: Bearer header from a non-browser client', async () => {
    const { user, token } = await h.api.customer();
    const socket = h.open({ headers: { authorization: `Bearer ${token}` } });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    const [server] = await h.notifier.io.fetchSockets();
    expect(server.data).toEqual({ userId: user.id, role: 'customer' });
    expect([...server.rooms].filter((r) => r !== server.id).sort()).toEqual([`customer:${user.id}`]);
  });

  it('refuses a browser page of another origin, even with a valid token', async () => {
    const base = new URL(h.api.base);
    const err = await h.refusedWith({ token: h.api.adminToken, headers: { origin: 'http://evil.example' } });
    expect(err.message).not.toBe('CSMS_ERR_UNAUTHORIZED');
    // Positive control: the same origin passes.
    const same = h.open({ token: h.api.adminToken, headers: { origin: `http://${base.host}` } });
    await new Promise<void>((resolve, reject) => {
      same.once('connect', resolve);
      same.once('connect_error', reject);
    });
  });
});
