import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqliteStore } from '../../../src/csms/store/index.ts';
import { aChargePoint, aNewSession, aUser } from '../builders.ts';
import { memoryStore } from './fixtures.ts';

describe('users', () => {
  let store: SqliteStore;
  beforeEach(() => ({ store } = memoryStore()));
  afterEach(() => store.close());

  it('creates and reads a user without exposing the hash, except through findByEmail', () => {
    const user = store.users.create(aUser({ email: 'Ada@Example.test', idTag: 'RFID-1', role: 'admin' }));
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
    expect(store.users.get(user.id)).toEqual(user);
    expect(store.users.get(user.id)).not.toHaveProperty('passwordHash');
    expect(store.users.findByEmail('ada@example.TEST')?.passwordHash).toMatch(/^scrypt\$/);
    expect(store.users.findByIdTag('rfid-1')?.id).toBe(user.id); // CiString20: case-insensitive
    expect(store.users.findByEmail('nobody@example.test')).toBeNull();
  });

  it('rejects a duplicate email regardless of case', () => {
    store.users.create(aUser({ email: 'ada@example.test' }));
    expect(() => store.users.create(aUser({ email: 'ADA@example.test' }))).toThrow(
      expect.objectContaining({ code: 'CSMS_ERR_EMAIL_TAKEN' }),
    );
  });

  it('rejects a duplicate idTag but allows many users without one', () => {
    store.users.create(aUser({ idTag: 'TAG-X' }));
    expect(() => store.users.create(aUser({ idTag: 'TAG-X' }))).toThrow(expect.objectContaining({ code: 'CSMS_ERR_ID_TAG_TAKEN' }));
    store.users.create(aUser({ idTag: null }));
    store.users.create(aUser({ idTag: undefined }));
    expect(store.users.count({})).toBe(3);
  });

  it('updates only the patched fields and reports conflicts on update too', () => {
    const a = store.users.create(aUser({ name: 'A', idTag: 'A1' }));
    const b = store.users.create(aUser({ name: 'B', idTag: 'B1' }));
    const updated = store.users.update(a.id, { blocked: true, idTag: null });
    expect(updated).toMatchObject({ name: 'A', blocked: true, idTag: null, email: a.email });
    expect(() => store.users.update(b.id, { email: a.email })).toThrow(expect.objectContaining({ code: 'CSMS_ERR_EMAIL_TAKEN' }));
    expect(store.users.update(9999, { name: 'x' })).toBeNull();
    store.users.update(a.id, { passwordHash: 'new-hash' });
    expect(store.users.findByEmail(a.email)?.passwordHash).toBe('new-hash');
  });

  it('lists with role, search and paging, and counts by role', () => {
    store.users.create(aUser({ name: 'Grace Hopper', role: 'admin' }));
    for (const name of ['Ada', 'Alan', 'Barbara_x']) store.users.create(aUser({ name }));
    expect(store.users.list({ role: 'customer' }).map((u) => u.name)).toEqual(['Ada', 'Alan', 'Barbara_x']);
    expect(store.users.list({ q: 'al' }).map((u) => u.name)).toEqual(['Alan']);
    // '_' is a literal here, not a LIKE wildcard
    expect(store.users.list({ q: 'a_x' }).map((u) => u.name)).toEqual(['Barbara_x']);
    expect(store.users.list({ role: 'customer', limit: 1, offset: 1 }).map((u) => u.name)).toEqual(['Alan']);
    expect(store.users.count({ role: 'admin' })).toBe(1);
    expect(store.users.count({ role: 'customer' })).toBe(3);
  });

  it('deletes a user, but not while they are charging', () => {
    const user = store.users.create(aUser());
    const cp = store.chargePoints.create(aChargePoint());
    const { session } = store.sessions.start(aNewSession({ chargePointId: cp.id, customerId: user.id }));
    expect(() => store.users.delete(user.id)).toThrow(expect.objectContaining({ code: 'CSMS_ERR_IN_USE' }));
    store.sessions.complete(session.id, { meterStop: 2000, energyWh: 1000, costMinor: 0, stoppedAt: '2024-05-01T11:00:00Z', reason: null });
    expect(store.users.delete(user.id)).toBe(true);
    expect(store.users.get(user.id)).toBeNull();
    expect(store.sessions.get(session.id)?.customerId).toBeNull();
    expect(store.users.delete(user.id)).toBe(false);
  });
});
