import BetterSqlite3 from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CsmsError } from '../../../src/csms/domain/errors.ts';
import { createSqliteStore, MIGRATIONS, migrate, type SqliteStore } from '../../../src/csms/store/index.ts';
import { aStation, aUser } from '../builders.ts';
import { tempDbPath } from './fixtures.ts';

// SQLite only: the file, its pragmas (WAL, busy_timeout, user_version) and the SQLite migration runner.
describe('[sqlite] createSqliteStore', () => {
  const open: SqliteStore[] = [];
  const cleanups: Array<() => void> = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    for (const c of cleanups.splice(0)) c();
  });
  function fileStore(path: string): SqliteStore {
    const s = createSqliteStore(path);
    open.push(s);
    return s;
  }
  function tempFile(): string {
    const t = tempDbPath();
    cleanups.push(t.cleanup);
    return t.path;
  }

  it('creates the parent directory, migrates a fresh file and sets the pragmas', async () => {
    const path = tempFile();
    const store = fileStore(path);
    expect(existsSync(path)).toBe(true);
    expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(store.db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(await store.ping()).toBe(true);
  });

  it('re-opens an existing file without re-applying migrations and keeps the data', async () => {
    const path = tempFile();
    const first = createSqliteStore(path);
    const user = await first.users.create(aUser());
    await first.close();
    expect(await first.ping()).toBe(false);

    const second = fileStore(path);
    expect(second.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect((await second.users.get(user.id))?.email).toBe(user.email);
    expect(migrate(second.db)).toBe(MIGRATIONS.length);
  });

  it('applies only the migrations a database has not seen, in order', () => {
    const db = new BetterSqlite3(':memory:');
    const steps = ['CREATE TABLE a (x INTEGER)', 'ALTER TABLE a ADD COLUMN y TEXT'];
    expect(migrate(db, steps.slice(0, 1))).toBe(1);
    expect(migrate(db, steps)).toBe(2);
    expect(migrate(db, steps)).toBe(2);
    expect(db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('a')).toEqual(['x', 'y']);
    db.close();
  });

  it('rolls a failed migration back together with its version bump', () => {
    const db = new BetterSqlite3(':memory:');
    expect(() => migrate(db, ['CREATE TABLE a (x INTEGER); CREATE TABLE a (y INTEGER)'])).toThrow();
    expect(db.pragma('user_version', { simple: true })).toBe(0);
    expect(db.prepare(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'a'`).pluck().get()).toBe(0);
    db.close();
  });

  it('refuses a database written by a newer schema', async () => {
    const path = tempFile();
    await createSqliteStore(path).close();
    const raw = new BetterSqlite3(path);
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    expect(() => createSqliteStore(path)).toThrow(CsmsError);
  });

  it('changeCounter counts rows: a statement that touches none leaves it (the port promises only that writes move it)', async () => {
    const store = fileStore(':memory:');
    await store.stations.create(aStation());
    const before = await store.changeCounter();
    await store.chargePoints.setAllOffline(); // touches no row
    expect(await store.changeCounter()).toBe(before);
  });
});
