import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/csms/domain/ports.ts';
import { aChargePoint, aNewSession, aUser } from '../builders.ts';
import { eachStore, openStore } from '../../helpers/stores.ts';

describe.each(eachStore)('[%s] users', (_name, adapter) => {
  let store: Store;
  beforeEach(async (ctx) => ({ store } = await openStore(adapter, ctx)));

  it('creates and reads a user without exposing the hash, except through findByEmail', async () => {
    const user = await store.users.create(aUser({ email: 'Ada@Example.test', idTag: 'RFID-1', role: 'admin' }));
    expect(user).toEqual({
      id: expect.any(Number),
      email: 'Ada@Example.test',
      name: expect.any(String),
      role: 'admin',
      idTag: 'RFID-1',
      idTagExpiresAt: null,
      blocked: false,
      maxConcurrentSessions: 1,
      createdAt: '2024-05-01T12:00:00.000Z',
    });
    expect(await store.users.get(user.id)).toEqual(user);
    expect(await store.users.get(user.id)).not.toHaveProperty('passwordHash');
    expect((await store.users.findByEmail('ada@example.TEST'))?.passwordHash).toMatch(/^scrypt\$/);
    expect((await store.users.findByIdTag('rfid-1'))?.id).toBe(user.id); // CiString20: case-insensitive
    expect(await store.users.findByEmail('nobody@example.test')).toBeNull();
  });

  it('rejects a duplicate email regardless of case', async () => {
    await store.users.create(aUser({ email: 'ada@example.test' }));
    await expect(store.users.create(aUser({ email: 'ADA@example.test' }))).rejects.toThrow(
      expect.objectContaining({ code: 'CSMS_ERR_EMAIL_TAKEN' }),
    );
  });

  it('rejects a duplicate idTag but allows many users without one', async () => {
    await store.users.create(aUser({ idTag: 'TAG-X' }));
    await expect(store.users.create(aUser({ idTag: 'TAG-X' }))).rejects.toThrow(expect.objectContaining({ code: 'CSMS_ERR_ID_TAG_TAKEN' }));
    await store.users.create(aUser({ idTag: null }));
    await store.users.create(aUser({ idTag: undefined }));
    expect(await store.users.count({})).toBe(3);
  });

  it('updates only the patched fields and reports conflicts on update too', async () => {
    const a = await store.users.create(aUser({ name: 'A', idTag: 'A1' }));
    const b = await store.users.create(aUser({ name: 'B', idTag: 'B1' }));
    const updated = await store.users.update(a.id, { blocked: true, idTag: null });
    expect(updated).toMatchObject({ name: 'A', blocked: true, idTag: null, email: a.email });
    await expect(store.users.update(b.id, { email: a.email })).rejects.toThrow(expect.objectContaining({ code: 'CSMS_ERR_EMAIL_TAKEN' }));
    expect(await store.users.update(9999, { name: 'x' })).toBeNull();
    await store.users.update(a.id, { passwordHash: 'new-hash' });
    expect((await store.users.findByEmail(a.email))?.passwordHash).toBe('new-hash');
  });

  it('lists with role, search and paging, and counts by role', async () => {
    await store.users.create(aUser({ name: 'Grace Hopper', role: 'admin' }));
    for (const name of ['Ada', 'Alan', 'Barbara_x']) await store.users.create(aUser({ name }));
    expect((await store.users.list({ role: 'customer' })).map((u) => u.name)).toEqual(['Ada', 'Alan', 'Barbara_x']);
    expect((await store.users.list({ q: 'al' })).map((u) => u.name)).toEqual(['Alan']);
    // '_' is a literal here, not a LIKE wildcard
    expect((await store.users.list({ q: 'a_x' })).map((u) => u.name)).toEqual(['Barbara_x']);
    expect((await store.users.list({ role: 'customer', limit: 1, offset: 1 })).map((u) => u.name)).toEqual(['Alan']);
    expect(await store.users.count({ role: 'admin' })).toBe(1);
    expect(await store.users.count({ role: 'customer' })).toBe(3);
  });

  it('deletes a user, but not while they are charging', async () => {
    const user = await store.users.create(aUser());
    const cp = await store.chargePoints.create(aChargePoint());
    const { session } = await store.sessions.start(aNewSession({ chargePointId: cp.id, customerId: user.id }));
    await expect(store.users.delete(user.id)).rejects.toThrow(expect.objectContaining({ code: 'CSMS_ERR_IN_USE' }));
    await store.sessions.complete(session.id, { meterStop: 2000, energyWh: 1000, costMinor: 0, stoppedAt: '2024-05-01T11:00:00Z', reason: null });
    expect(await store.users.delete(user.id)).toBe(true);
    expect(await store.users.get(user.id)).toBeNull();
    expect((await store.sessions.get(session.id))?.customerId).toBeNull();
    expect(await store.users.delete(user.id)).toBe(false);
  });
});
