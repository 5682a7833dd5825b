/** The Store port's adapters: SQLite (one host) and PostgreSQL (shared by nodes on many hosts). */
export { createSqliteStore, type SqliteStore, type SqliteStoreOptions } from './sqlite/sqlite-store.ts';
export { migrate } from './sqlite/migrations.ts';
export { MIGRATIONS, type MigrationStep } from './migrations.ts';
export { openPostgresStore, type PostgresStore, type PostgresStoreOptions } from './postgres/pg-store.ts';
export { migratePostgres } from './postgres/migrate.ts';
