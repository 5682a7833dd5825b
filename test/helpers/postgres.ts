/**
 * The project machines' PostgreSQL (127.0.0.1:5432, trust auth, database `test`), for tests that run
 * the CSMS on it: each gets a schema of its own, dropped afterwards. Unreachable: those tests skip
 * loudly, except in CI, where they must run.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';

/** The user is explicit: without one, pg takes $USER, which test environments often leave unset. */
export const POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface TestSchema {
  name: string;
  drop(): Promise<void>;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** A fresh, empty schema name (the CSMS creates and migrates it at start). */
export async function createTestSchema(prefix = 'test_csms'): Promise<TestSchema> {
  const name = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  return {
    name,
    drop: () => admin((c) => c.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`)).then(() => undefined),
  };
}

/** Null when PostgreSQL answers; otherwise why not. Throws in CI, where these tests must run. */
export async function postgresMissing(): Promise<string | null> {
  try {
    await admin((c) => c.query('SELECT 1'));
    return null;
  } catch (err) {
    const reason = `PostgreSQL at ${POSTGRES_URL} is unreachable (${err instanceof Error ? err.message : String(err)})`;
    if (process.env.CI === 'true') throw new Error(`${reason}: these tests must run in CI`, { cause: err });
    console.warn(`SKIPPING PostgreSQL tests: ${reason}`);
    return reason;
  }
}

/** Store settings of the CSMS for tests that run on each store: SQLite always, PostgreSQL when it answers (always in CI). */
export const csmsStores: [name: 'sqlite' | 'postgres', overrides: { databaseUrl?: string }][] = [
  ['sqlite', {}],
  ...((await postgresMissing()) === null ? [['postgres', { databaseUrl: POSTGRES_URL }] as ['postgres', { databaseUrl: string }]] : []),
];
