/**
 * Applies the shared migration list (../migrations.ts) to a SQLite file: step i brings
 * `PRAGMA user_version` from i to i + 1.
 */
import type { Database } from 'better-sqlite3';
import { MIGRATIONS, type MigrationStep } from '../migrations.ts';

export { MIGRATIONS };

/** A step, or its SQLite text alone (tests build small schemas this way). */
export type SqliteMigration = Pick<MigrationStep, 'sqlite'> | string;

const sqliteText = (step: SqliteMigration): string => (typeof step === 'string' ? step : step.sqlite);

/**
 * Applies the migrations this database has not seen yet, each in its own IMMEDIATE transaction
 * together with its user_version bump. Re-reading the version inside the write lock makes two
 * processes opening the same file at once apply each migration exactly once.
 * Returns the resulting schema version (createSqliteStore refuses one newer than MIGRATIONS).
 */
export function migrate(db: Database, migrations: readonly SqliteMigration[] = MIGRATIONS): number {
  const version = (): number => db.pragma('user_version', { simple: true }) as number;
  const applyNext = db.transaction((): boolean => {
    const current = version();
    if (current >= migrations.length) return false;
    db.exec(sqliteText(migrations[current]));
    // Foreign keys are off while tables are rebuilt; what they guard is checked before the commit.
    const broken = db.pragma('foreign_key_check') as unknown[];
    if (broken.length > 0) throw new Error(`migration ${current + 1} breaks ${broken.length} foreign key(s): ${JSON.stringify(broken.slice(0, 3))}`);
    db.pragma(`user_version = ${current + 1}`);
    return true;
  });
  if (version() >= migrations.length) return version();
  // SQLite ignores this pragma inside a transaction, hence around the loop (sqlite.org/lang_altertable.html).
  const fk = db.pragma('foreign_keys', { simple: true }) as number;
  db.pragma('foreign_keys = OFF');
  try {
    while (applyNext.immediate()) {
      // keep going until the database is current
    }
  } finally {
    if (fk) db.pragma('foreign_keys = ON');
  }
  return version();
}
