/**
 * The Store adapters the store contract suite (test/csms/store) runs each test against: SQLite on a
 * fresh temporary file, and PostgreSQL (the `test` database on 127.0.0.1:5432) in a fresh random schema that
 * is dropped when the test ends.
 *
 *   describe.each(eachStore)('[%s] wallet', (_name, adapter) => {
 *     let store: Store;
 *     beforeEach(async (ctx) => ({ store } = await openStore(adapter, ctx)));
 *     ...
 *   });
 *
 * An unreachable PostgreSQL skips its tests with a warning, but fails them when CI=true.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'vitest';
import type { Store } from '../../src/csms/domain/ports.ts';
import pg from 'pg';
import { POSTGRES_URL, postgresMissing } from './postgres.ts';
import { createSqliteStore, openPostgresStore } from '../../src/csms/store/index.ts';


/** The store's clock: created_at / updated_at are `at` (an ISO string) until a test moves it. */
export interface TestClock {
  at: string;
}

export interface OpenedStore {
  store: Store;
  clock: TestClock;
  /** A second Store on the same database (as another process or node would open it); closed by cleanup. */
  another(): Promise<Store>;
  /**
   * Reads (or writes) the database beside the port, for what the port cannot show. Plain SQL that
   * both schemas understand; PostgreSQL returns COUNT(*) as a string, so wrap counts in Number().
   */
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /** Closes every store it opened and deletes the database (the file, or the schema). */
  cleanup(): Promise<void>;
}

export interface StoreAdapter {
  readonly name: 'sqlite' | 'postgres';
  /** Why this adapter's tests are skipped in this run, or null when they run. */
  readonly skipReason: string | null;
  open(opts?: { at?: string }): Promise<OpenedStore>;
}

const DEFAULT_AT = '2024-05-01T12:00:00.000Z';

const sqlite: StoreAdapter = {
  name: 'sqlite',
  skipReason: null,
  async open({ at = DEFAULT_AT } = {}) {
    const clock = { at };
    const now = () => new Date(clock.at);
    const dir = mkdtempSync(join(tmpdir(), 'csms-store-'));
    const path = join(dir, 'csms.db');
    const store = createSqliteStore(path, { now });
    const opened: Store[] = [store];
    return {
      store,
      clock,
      async another() {
        const other = createSqliteStore(path, { now });
        opened.push(other);
        return other;
      },
      async query<T>(sql: string) {
        const statement = store.db.prepare(sql);
        if (statement.reader) return statement.all() as T[];
        statement.run();
        return [];
      },
      async cleanup() {
        for (const s of opened.splice(0)) await s.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

function postgresAdapter(skipReason: string | null): StoreAdapter {
  return {
    name: 'postgres',
    skipReason,
    async open({ at = DEFAULT_AT } = {}) {
      const clock = { at };
      const now = () => new Date(clock.at);
      const schema = `test_store_${randomUUID().replace(/-/g, '')}`;
      const admin = new pg.Client({ connectionString: POSTGRES_URL });
      await admin.connect();
      const opened: Store[] = [];
      const cleanup = async () => {
        try {
          for (const s of opened.splice(0)) await s.close();
          await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
        } finally {
          await admin.end();
        }
      };
      try {
        const store = await openPostgresStore(POSTGRES_URL, { schema, now });
        opened.push(store);
        await admin.query(`SET search_path TO ${quoteIdent(schema)}`);
        return {
          store,
          clock,
          async another() {
            const other = await openPostgresStore(POSTGRES_URL, { schema, now });
            opened.push(other);
            return other;
          },
          async query<T>(sql: string) {
            return (await admin.query(sql)).rows as T[];
          },
          cleanup,
        };
      } catch (err) {
        await cleanup();
        throw err;
      }
    },
  };
}

async function postgres(): Promise<StoreAdapter> {
  return postgresAdapter(await postgresMissing());
}

/** Every adapter, SQLite first; a skipped one is still listed, so its tests show up as skipped. */
export const storeAdapters: readonly StoreAdapter[] = [sqlite, await postgres()];

/** `describe.each(eachStore)('[%s] …', (_name, adapter) => …)`: each test name starts with its adapter's name. */
export const eachStore: [name: string, adapter: StoreAdapter][] = storeAdapters.map((adapter) => [adapter.name, adapter]);


/**
 * Opens a fresh store for the running test (call it in beforeEach or the test) and cleans it up
 * when the test ends; skips the test when the adapter is unavailable in this run.
 */
export async function openStore(adapter: StoreAdapter, ctx: TestContext, opts?: { at?: string }): Promise<OpenedStore> {
  if (adapter.skipReason) ctx.skip(`${adapter.name}: ${adapter.skipReason}`);
  const opened = await adapter.open(opts);
  ctx.onTestFinished(() => opened.cleanup());
  return opened;
}
