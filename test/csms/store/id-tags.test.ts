import BetterSqlite3 from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/csms/domain/ports.ts';
import { createSqliteStore, MIGRATIONS, migrate } from '../../../src/csms/store/index.ts';
import { aChargePoint, aNewSession, aUser } from '../builders.ts';
import { eachStore, openStore, type TestClock } from '../../helpers/stores.ts';
import { tempDbPath } from './fixtures.ts';

describe.each(eachStore)('[%s] cards (id_tags)', (_name, adapter) => {
  let store: Store;
  let clock: TestClock;
  beforeEach(async (ctx) => ({ store, clock } = await openStore(adapter, ctx)));

  it('a user created with an idTag has it as its first and primary card; more cards follow, oldest first', async () => {
    const u = await store.users.create(aUser({ idTag: 'MAIN' }));
    expect(await store.idTags.get('main')).toEqual({ idTag: 'MAIN', customerId: u.id, label: null, blocked: false, expiresAt: null, maxConcurrent: 1, createdAt: '2024-05-01T12:00:00.000Z' });
    clock.at = '2024-05-02T12:00:00.000Z';
    const van = await store.idTags.create({ idTag: 'VAN-1', customerId: u.id, label: 'Van', maxConcurrent: 3 });
    expect(van).toMatchObject({ idTag: 'VAN-1', label: 'Van', maxConcurrent: 3, createdAt: '2024-05-02T12:00:00.000Z' });
    expect((await store.idTags.listForCustomer(u.id)).map((c) => c.idTag)).toEqual(['MAIN', 'VAN-1']);
    expect((await store.users.get(u.id))!.idTag).toBe('MAIN');
    expect((await store.users.findByIdTag('van-1'))?.id).toBe(u.id);
    expect((await store.users.list({ q: 'van-' })).map((x) => x.id)).toEqual([u.id]);
    // A customer without a primary card gets the first card as primary.
    const bare = await store.users.create(aUser({ idTag: null }));
    await store.idTags.create({ idTag: 'FIRST', customerId: bare.id });
    expect((await store.users.get(bare.id))!.idTag).toBe('FIRST');
  });

  it('an idTag is unique over all cards of all accounts, in any case', async () => {
    const a = await store.users.create(aUser({ idTag: 'A-PRIMARY' }));
    const b = await store.users.create(aUser({ idTag: 'B-PRIMARY' }));
    await store.idTags.create({ idTag: 'A-SPARE', customerId: a.id });
    const taken = expect.objectContaining({ code: 'CSMS_ERR_ID_TAG_TAKEN' });
    await expect(store.idTags.create({ idTag: 'a-primary', customerId: b.id })).rejects.toThrow(taken);
    await expect(store.idTags.create({ idTag: 'A-SPARE', customerId: a.id })).rejects.toThrow(taken);
    await expect(store.users.create(aUser({ idTag: 'a-spare' }))).rejects.toThrow(taken);
    await expect(store.users.update(b.id, { idTag: 'A-SPARE' })).rejects.toThrow(taken);
    expect(await store.users.count({})).toBe(2);
    expect((await store.users.get(b.id))!.idTag).toBe('B-PRIMARY');
  });

  it('the primary idTag of a user: own card becomes primary, another renames it, null deletes it; its expiry is the card\'s', async () => {
    const u = await store.users.create(aUser({ idTag: 'ONE' }));
    await store.idTags.create({ idTag: 'TWO', customerId: u.id });
    expect((await store.users.update(u.id, { idTag: 'two' }))!.idTag).toBe('TWO');
    expect((await store.idTags.listForCustomer(u.id)).map((c) => c.idTag)).toEqual(['ONE', 'TWO']);
    expect(await store.users.update(u.id, { idTag: 'THREE', idTagExpiresAt: '2030-01-01T00:00:00.000Z' })).toMatchObject({ idTag: 'THREE', idTagExpiresAt: '2030-01-01T00:00:00.000Z' });
    expect((await store.idTags.listForCustomer(u.id)).map((c) => [c.idTag, c.expiresAt])).toEqual([['ONE', null], ['THREE', '2030-01-01T00:00:00.000Z']]);
    expect(await store.idTags.get('TWO')).toBeNull();
    expect(await store.users.update(u.id, { idTag: null })).toMatchObject({ idTag: null, idTagExpiresAt: null });
    expect((await store.idTags.listForCustomer(u.id)).map((c) => c.idTag)).toEqual(['ONE']);
    expect(await store.users.update(u.id, { idTag: 'ONE', maxConcurrentSessions: 4 })).toMatchObject({ idTag: 'ONE', maxConcurrentSessions: 4 });
    await expect(store.users.update(u.id, { maxConcurrentSessions: 0 })).rejects.toThrow(/check/i); // the schema's CHECK: SQLite and PostgreSQL both name it
  });

  it('updates a card, makes one primary, deletes one (not while it charges; the next becomes primary); cards go with their customer', async () => {
    const u = await store.users.create(aUser({ idTag: 'P' }));
    await store.idTags.create({ idTag: 'Q', customerId: u.id });
    expect(await store.idTags.update('q', { blocked: true, maxConcurrent: 2, label: 'spare' })).toMatchObject({ idTag: 'Q', blocked: true, maxConcurrent: 2, label: 'spare', expiresAt: null });
    expect(await store.idTags.update('nope', { blocked: true })).toBeNull();
    await store.idTags.makePrimary('q');
    expect((await store.users.get(u.id))!.idTag).toBe('Q');

    const cp = await store.chargePoints.create(aChargePoint());
    const { session } = await store.sessions.start(aNewSession({ chargePointId: cp.id, customerId: u.id, idTag: 'q' }));
    await expect(store.idTags.delete('Q')).rejects.toThrow(expect.objectContaining({ code: 'CSMS_ERR_IN_USE' }));
    await store.sessions.complete(session.id, { meterStop: 2000, energyWh: 1000, costMinor: 0, stoppedAt: '2024-05-01T11:00:00Z', reason: null });
    expect(await store.idTags.delete('Q')).toBe(true);
    expect((await store.users.get(u.id))!.idTag).toBe('P');
    expect(await store.idTags.delete('Q')).toBe(false);
    expect(await store.idTags.delete('P')).toBe(true);
    expect((await store.users.get(u.id))!.idTag).toBeNull();

    await store.idTags.create({ idTag: 'R', customerId: u.id });
    await store.users.delete(u.id);
    expect(await store.idTags.get('R')).toBeNull();
  });

  it('counts a customer\'s active sessions elsewhere, and those of one idTag in any case', async () => {
    const u = await store.users.create(aUser({ idTag: 'FLEET' }));
    const cp = await store.chargePoints.create(aChargePoint());
    const start = (connectorId: number, idTag: string) => store.sessions.start(aNewSession({ chargePointId: cp.id, connectorId, customerId: u.id, idTag, startedAt: `2024-05-01T10:0${connectorId}:00.000Z` }));
    await start(1, 'fleet');
    await start(2, 'FLEET');
    await start(3, 'OTHER');
    expect(await store.sessions.activeElsewhere(u.id, 'Fleet', 'CP-elsewhere', 1)).toEqual({ customer: 3, idTag: 2 });
    expect(await store.sessions.activeElsewhere(u.id, 'FLEET', cp.id, 1)).toEqual({ customer: 2, idTag: 1 });
    expect(await store.sessions.activeElsewhere(9999, 'FLEET', cp.id, 1)).toEqual({ customer: 0, idTag: 0 });
  });
});

// SQLite only: it replays the SQLite schema's migration history on a raw file and reads PRAGMA user_version.
describe('[sqlite] the migration to cards', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  it('copies each user\'s idTag and its expiry into a card of that user, and allows one session per customer', async () => {
    const { path, cleanup } = tempDbPath();
    cleanups.push(cleanup);
    const step = MIGRATIONS.findIndex((m) => m.sqlite.includes('CREATE TABLE id_tags'));
    expect(step).toBeGreaterThan(0);
    // A database file as the build before cards left it.
    mkdirSync(dirname(path), { recursive: true });
    const raw = new BetterSqlite3(path);
    cleanups.push(() => raw.open && raw.close());
    expect(migrate(raw, MIGRATIONS.slice(0, step))).toBe(step);
    const insert = raw.prepare(`INSERT INTO users (email, name, role, id_tag, id_tag_expires_at, password_hash, created_at) VALUES (?, ?, ?, ?, ?, 'x', ?)`);
    insert.run('ann@example.test', 'Ann', 'customer', 'ANN-TAG', '2031-02-03T04:05:06.000Z', '2023-01-01T00:00:00.000Z');
    insert.run('bob@example.test', 'Bob', 'customer', 'bob-tag', null, '2023-02-01T00:00:00.000Z');
    insert.run('admin@example.test', 'Admin', 'admin', null, null, '2023-03-01T00:00:00.000Z');
    raw.close();

    const store = createSqliteStore(path);
    try {
      expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      const ann = (await store.users.findByEmail('ann@example.test'))!;
      expect(ann).toMatchObject({ idTag: 'ANN-TAG', idTagExpiresAt: '2031-02-03T04:05:06.000Z', maxConcurrentSessions: 1 });
      expect(await store.idTags.listForCustomer(ann.id)).toEqual([
        { idTag: 'ANN-TAG', customerId: ann.id, label: null, blocked: false, expiresAt: '2031-02-03T04:05:06.000Z', maxConcurrent: 1, createdAt: '2023-01-01T00:00:00.000Z' },
      ]);
      const bob = (await store.users.findByIdTag('BOB-TAG'))!;
      expect(bob).toMatchObject({ email: 'bob@example.test', idTag: 'bob-tag', idTagExpiresAt: null });
      expect(await store.idTags.get('bob-tag')).toMatchObject({ customerId: bob.id, expiresAt: null, maxConcurrent: 1 });
      const admin = (await store.users.findByEmail('admin@example.test'))!;
      expect(await store.idTags.listForCustomer(admin.id)).toEqual([]);
      expect(store.db.prepare('SELECT COUNT(*) FROM id_tags').pluck().get()).toBe(2);
      // The expiry lives on the card only now.
      expect(store.db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('users')).not.toContain('id_tag_expires_at');
    } finally {
      await store.close();
    }
  });
});
