/**
 * Opens a PostgreSQL database and assembles the Store port from the repositories. Several CSMS
 * nodes on many hosts may share it: transactions are READ COMMITTED; what must happen once (a
 * session's charge, a payment's credit, a StartTransaction, an event) is decided by unique indexes;
 * deadlocks (40P01) and serialization failures propagate, and the processor retries its batch.
 */
import { userInfo } from 'node:os';
import pg from 'pg';
import { CsmsError } from '../../domain/errors.ts';
import type { Store } from '../../domain/ports.ts';
import { createChargePointRepo } from './charge-points.ts';
import { createChargingProfileRepo } from './charging-profiles.ts';
import { createCommandRepo } from './commands.ts';
import { createDeviceJobRepo } from './device-jobs.ts';
import { createLocalListRepo } from './local-lists.ts';
import type { PgContext } from './context.ts';
import { createDashboardStats } from './dashboard.ts';
import { createDb, type Db } from './db.ts';
import { createIdTagRepo } from './id-tags.ts';
import { createJournalRepo, createProcessedEventRepo } from './journal.ts';
import { createMessageLogRepo } from './message-log.ts';
import { migratePostgres, SCHEMA_NAME } from './migrate.ts';
import { createNodeRepo, createOutboxRepo } from './outbox.ts';
import { createReservationRepo } from './reservations.ts';
import { createSessionRepo } from './sessions.ts';
import { createStationRepo } from './stations.ts';
import { createTariffRepo } from './tariffs.ts';
import { createUserRepo } from './users.ts';
import { createHoldRepo, createWalletRepo } from './wallet.ts';

export interface PostgresStoreOptions {
  /** Every table lives in this schema (created if missing); default: the server's search_path. */
  schema?: string;
  /** Clock for created_at / updated_at columns; tests pass a fixed one. */
  now?: () => Date;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** How long opening a connection may take before the call fails (default 10 s). */
  connectTimeoutMs?: number;
}

/** The Store plus what only its owner (server.ts, tests) needs. */
export interface PostgresStore extends Store {
  readonly kind: 'postgres';
  readonly pool: pg.Pool;
  /** Raw queries that join the caller's transaction, like the repositories' (tests, tools). */
  readonly db: Db;
  /** The schema the tables live in, if one was given. */
  readonly schema: string | undefined;
}

// A URL without a user name: libpq (psql) falls back to PGUSER, then the OS user's name; node-postgres
// only to $USER, which a service manager or CI may not set ("no PostgreSQL user name specified").
// Filling in its default keeps libpq's order: the URL's user, then PGUSER, then this.
if (!pg.defaults.user) pg.defaults.user = userInfo().username;

/** OID of int8 (BIGINT, COUNT(*)): read as a JS number. */
const INT8_OID = 20;

/**
 * BIGINT as a number: money in minor units, Wh and ids stay far below 2^53, and the domain
 * computes with numbers (the driver's default is a string).
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (text: string) => Number(text) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** `postgres host:port/database`, never the user or the password. */
export function describeUrl(url: string, schema?: string): string {
  let where: string;
  try {
    const u = new URL(url);
    where = `${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname || '/'}`;
  } catch {
    where = '(unparsable URL)';
  }
  return `postgres ${where}${schema !== undefined ? ` schema ${schema}` : ''}`;
}

/** Connects, migrates (under an advisory lock) and returns the Store. */
export async function openPostgresStore(url: string, opts: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const { schema } = opts;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new CsmsError('CSMS_ERR_CONFIG', `PostgreSQL schema "${schema}" must be a lower-case identifier`);
  }
  const nowDate = opts.now ?? (() => new Date());
  const now = () => nowDate().toISOString();
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    types,
    // Shown in pg_stat_activity, so an operator can tell the CSMS's connections apart.
    application_name: 'ev-csms',
    // A database that does not answer fails the call instead of hanging it (and the start) for ever.
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    // Every connection of the pool sees only this schema's tables.
    ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle connection that dies (a server restart) is reported here; without a listener it would
  // crash the process. The next query on it fails on its own, and ping() says so.
  pool.on('error', () => {});
  try {
    await migratePostgres(pool, { schema, now });
  } catch (err) {
    await pool.end().catch(() => undefined);
    if (err instanceof CsmsError) throw err;
    throw new CsmsError('CSMS_ERR_DATABASE_UNAVAILABLE', `${describeUrl(url, schema)}: ${err instanceof Error ? err.message : String(err)}`);
  }

  const db = createDb(pool);
  const ctx: PgContext = { db, now };
  const idTags = createIdTagRepo(ctx);
  const dashboardStats = createDashboardStats(ctx);
  let closed = false;

  return {
    kind: 'postgres',
    pool,
    db,
    schema,
    location: describeUrl(url, schema),
    users: createUserRepo(ctx, idTags),
    idTags,
    stations: createStationRepo(ctx),
    chargePoints: createChargePointRepo(ctx),
    tariffs: createTariffRepo(ctx),
    sessions: createSessionRepo(ctx),
    wallet: createWalletRepo(ctx),
    holds: createHoldRepo(ctx),
    reservations: createReservationRepo(ctx),
    messages: createMessageLogRepo(ctx),
    commands: createCommandRepo(ctx),
    chargingProfiles: createChargingProfileRepo(ctx),
    events: createProcessedEventRepo(ctx),
    outbox: createOutboxRepo(ctx),
    nodes: createNodeRepo(ctx),
    journal: createJournalRepo(ctx),
    deviceJobs: createDeviceJobRepo(ctx),
    localLists: createLocalListRepo(ctx),
    dashboardStats,
    transaction: db.transaction,
    async lockCustomer(customerId) {
      // NO KEY UPDATE: lockCustomer calls (and updates of the user) exclude each other until commit,
      // but inserts that merely reference the user (sessions, wallet entries, holds take FOR KEY
      // SHARE for their foreign keys) do not queue behind it. Outside a transaction there is nothing to hold.
      if (db.inTransaction()) await db.query({ name: 'lock_customer', text: 'SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', values: [customerId] });
    },
    async changeCounter() {
      // Kept by the statement triggers of every table (migrations.ts): moves when a change commits.
      const row = await db.first<{ n: number }>({ name: 'change_counter', text: 'SELECT COALESCE(SUM(n), 0)::bigint AS n FROM change_counts', values: [] });
      return row!.n;
    },
    async ping() {
      if (closed) return false;
      try {
        return (await db.first<{ ok: number }>('SELECT 1 AS ok'))?.ok === 1;
      } catch {
        return false;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
