/** The SQLite adapter for the Store port. */
export { createSqliteStore, type SqliteStore, type SqliteStoreOptions } from './sqlite/sqlite-store.ts';
export { MIGRATIONS, migrate } from './sqlite/migrations.ts';
