/**
 * Opens the SQLite file and assembles the Store port from the repositories. One connection per
 * process; WAL lets readers run beside the single writer, and busy_timeout lets a second server
 * process share the file.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { CsmsError } from '../../domain/errors.ts';
import type { Store } from '../../domain/ports.ts';
import { createChargePointRepo } from './charge-points.ts';
import { createChargingProfileRepo } from './charging-profiles.ts';
import { createCommandRepo } from './commands.ts';
import { createDeviceJobRepo } from './device-jobs.ts';
import { createLocalListRepo } from './local-lists.ts';
import { createDashboardStats } from './dashboard.ts';
import { createIdTagRepo } from './id-tags.ts';
import { createMessageLogRepo } from './message-log.ts';
import { MIGRATIONS, migrate } from './migrations.ts';
import { createJournalRepo, createNodeRepo } from './journal.ts';
import { createOutboxRepo } from './outbox.ts';
import { createProcessedEventRepo } from './processed-events.ts';
import { createSessionRepo } from './sessions.ts';
import type { RepoContext } from './sql-helpers.ts';
import { createAsyncGate } from './sync.ts';
import { createStationRepo } from './stations.ts';
import { createTariffRepo } from './tariffs.ts';
import { createUserRepo } from './users.ts';
import { createWalletRepo } from './wallet.ts';
import { createHoldRepo } from './holds.ts';
import { createReservationRepo } from './reservations.ts';

export interface SqliteStoreOptions {
  /** Clock for created_at / updated_at columns; tests pass a fixed one. */
  now?: () => Date;
  /** How long a write waits for another process's lock before SQLITE_BUSY (ms). */
  busyTimeoutMs?: number;
}

/** The Store plus what only its owner (server.ts, tests) needs. */
export interface SqliteStore extends Store {
  readonly kind: 'sqlite';
  readonly db: Database;
  /** The file, or `:memory:`. */
  readonly path: string;
  /** Copies the WAL into the database file; PASSIVE never waits for readers. */
  checkpoint(mode?: 'PASSIVE' | 'TRUNCATE'): void;
}

/** True for SQLite's in-memory database names. */
export function isMemory(path: string): boolean {
  return path === ':memory:' || path === '' || path.startsWith('file::memory:');
}

/** Opens (creating if needed) and migrates the database at `path`; `:memory:` for tests. */
export function createSqliteStore(path: string, opts: SqliteStoreOptions = {}): SqliteStore {
  if (!isMemory(path)) mkdirSync(dirname(path), { recursive: true });
  const db = new BetterSqlite3(path);
  try {
    db.pragma(`busy_timeout = ${Math.floor(opts.busyTimeoutMs ?? 5000)}`);
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a power loss may drop the last commits but never corrupts the file.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    const version = migrate(db);
    if (version > MIGRATIONS.length) {
      throw new CsmsError('CSMS_ERR_CONFIG', `database schema v${version} is newer than this build (v${MIGRATIONS.length})`);
    }
  } catch (err) {
    db.close();
    throw err;
  }

  // Inside the repositories: better-sqlite3's transaction function, which becomes a savepoint
  // when the async gate's transaction (BEGIN IMMEDIATE) is already open.
  const runInTx = db.transaction((fn: () => unknown) => fn());
  const tx = <T>(fn: () => T): T => runInTx.immediate(fn) as T;
  const now = opts.now ?? (() => new Date());
  const ctx: RepoContext = { db, tx, now: () => now().toISOString() };
  const gate = createAsyncGate(db);

  // total_changes() counts this connection's row changes; data_version moves when another
  // connection commits. Both only grow, so their sum changes whenever any data does.
  const changes = db.prepare<[], { n: number }>(
    'SELECT total_changes() + (SELECT data_version FROM pragma_data_version) AS n',
  );
  const ping = db.prepare<[], { ok: number }>('SELECT 1 AS ok');
  const idTags = createIdTagRepo(ctx);
  const dashboardStats = createDashboardStats(db);

  return {
    kind: 'sqlite',
    db,
    path,
    location: `sqlite ${path}`,
    users: gate.wrap(createUserRepo(ctx, idTags)),
    idTags: gate.wrap(idTags),
    stations: gate.wrap(createStationRepo(ctx)),
    chargePoints: gate.wrap(createChargePointRepo(ctx)),
    tariffs: gate.wrap(createTariffRepo(ctx)),
    sessions: gate.wrap(createSessionRepo(ctx)),
    wallet: gate.wrap(createWalletRepo(ctx)),
    holds: gate.wrap(createHoldRepo(ctx)),
    reservations: gate.wrap(createReservationRepo(ctx)),
    messages: gate.wrap(createMessageLogRepo(ctx)),
    commands: gate.wrap(createCommandRepo(ctx)),
    chargingProfiles: gate.wrap(createChargingProfileRepo(ctx)),
    events: gate.wrap(createProcessedEventRepo(ctx)),
    outbox: gate.wrap(createOutboxRepo(ctx)),
    nodes: gate.wrap(createNodeRepo(ctx)),
    journal: gate.wrap(createJournalRepo(ctx)),
    deviceJobs: gate.wrap(createDeviceJobRepo(ctx)),
    localLists: gate.wrap(createLocalListRepo(ctx)),
    dashboardStats: (at) => gate.call(() => dashboardStats(at)),
    transaction: gate.transaction,
    // One writer at a time already: nothing else can decide about the customer meanwhile.
    lockCustomer: async () => {},
    changeCounter: () => gate.call(() => changes.get()!.n),
    ping: () =>
      gate.call(() => {
        try {
          return db.open && ping.get()!.ok === 1;
        } catch {
          return false;
        }
      }),
    checkpoint(mode = 'PASSIVE') {
      db.pragma(`wal_checkpoint(${mode})`);
    },
    async close() {
      if (!db.open) return;
      // Lets SQLite refresh statistics the planner uses; cheap when nothing changed.
      db.pragma('optimize');
      db.close();
    },
  };
}
