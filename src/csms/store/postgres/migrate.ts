/**
 * Applies the shared migration list (../migrations.ts) to a PostgreSQL schema. Versions live in
 * `schema_migrations (version, name, applied_at)`; each step commits together with its row. A
 * session advisory lock (per schema) makes nodes that start at once apply each step exactly once:
 * the second waits, then finds nothing left to do.
 */
import type pg from 'pg';
import { CsmsError } from '../../domain/errors.ts';
import { MIGRATIONS, type MigrationStep } from '../migrations.ts';

/** Unquoted lower-case identifiers only: the name also travels in the search_path startup option. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Brings the schema (created if missing) up to date and returns its version. Throws
 * CSMS_ERR_CONFIG when the database was written by a newer build (more steps than this one knows).
 */
export async function migratePostgres(
  pool: pg.Pool,
  opts: { schema?: string; now: () => string; migrations?: readonly Pick<MigrationStep, 'name' | 'postgres'>[] },
): Promise<number> {
  const steps = opts.migrations ?? MIGRATIONS;
  const client = await pool.connect();
  // A checked-out client reports a lost connection as an 'error' event: unheard, it would end the
  // process. The query under way rejects on its own.
  const onLost = () => {};
  client.on('error', onLost);
  let broken = false;
  try {
    await client.query(`SELECT pg_advisory_lock(hashtext('ev-csms migrate'), hashtext($1))`, [opts.schema ?? '']);
    try {
      if (opts.schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${opts.schema}`);
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at TEXT NOT NULL
      )`);
      const { rows } = await client.query<{ v: number }>('SELECT COALESCE(MAX(version), 0)::int AS v FROM schema_migrations');
      let version = rows[0].v;
      if (version > steps.length) {
        throw new CsmsError('CSMS_ERR_CONFIG', `database schema v${version} is newer than this build (v${steps.length})`);
      }
      for (; version < steps.length; version++) {
        const step = steps[version];
        await client.query('BEGIN');
        try {
          if (step.postgres.trim() !== '') await client.query(step.postgres);
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [version + 1, step.name, opts.now()]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      }
      return version;
    } finally {
      await client.query(`SELECT pg_advisory_unlock(hashtext('ev-csms migrate'), hashtext($1))`, [opts.schema ?? '']).catch(() => undefined);
    }
  } catch (err) {
    // After any failure the connection is closed rather than reused: that also drops the advisory lock.
    broken = true;
    throw err;
  } finally {
    client.off('error', onLost);
    client.release(broken);
  }
}
