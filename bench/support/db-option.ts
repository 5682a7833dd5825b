/**
 * The benches' `--db` option: SQLite (the default: a file in a temporary directory) or PostgreSQL
 * (`--db postgres://127.0.0.1:5432/test`): a fresh schema per run, created by the CSMS at its start
 * (or by the floor), dropped at the end. Only a server on this machine: a bench loads what it targets.
 */
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import pg from 'pg';

export type BenchDb = { kind: 'sqlite' } | { kind: 'postgres'; url: string };

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** `undefined` or `sqlite` → SQLite; a postgres:// URL on this machine → PostgreSQL; anything else throws. */
export function parseDbOption(value: string | undefined): BenchDb {
  if (value === undefined || value === '' || value === 'sqlite') return { kind: 'sqlite' };
  if (!/^postgres(ql)?:\/\//.test(value)) throw new Error(`--db is "sqlite" or a postgres:// URL, not "${value}"`);
  let host: string;
  try {
    host = new URL(value).hostname;
  } catch {
    throw new Error(`--db: not a URL: ${value}`);
  }
  if (!LOCAL_HOSTS.has(host)) throw new Error(`--db: the bench only targets a PostgreSQL on this machine (127.0.0.1), not "${host}"`);
  return { kind: 'postgres', url: value };
}

/** A schema name of its own for one run (a lower-case SQL identifier, as DATABASE_SCHEMA wants). */
export function freshSchemaName(tag: string): string {
  return `bench_${tag.toLowerCase().replace(/[^a-z0-9_]/g, '_')}_${randomBytes(4).toString('hex')}`;
}

/** Drops the run's schema and everything in it. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  if (!/^bench_[a-z0-9_]+$/.test(schema)) throw new Error(`refusing to drop schema "${schema}": not a bench schema`);
  // As src/csms/store/postgres/pg-store.ts: a URL without a user falls back to the OS user, as psql does.
  if (!pg.defaults.user) pg.defaults.user = userInfo().username;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
