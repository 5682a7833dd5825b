/**
 * Small pieces every SQLite repository shares: the context a repository is built with, page limits,
 * and recognising SQLite constraint failures so they become CsmsErrors (JSON columns: ../rows/records.ts).
 */
import type { Database, Statement } from 'better-sqlite3';
import type { Page } from '../../domain/ports.ts';
import { pageBounds } from '../rules.ts';

/** What each repository gets besides the connection. */
export interface RepoContext {
  db: Database;
  /** ISO time used for created_at / updated_at columns the caller does not supply. */
  now(): string;
  /** Runs fn in one transaction, joining an outer one if there is any. */
  tx<T>(fn: () => T): T;
}

/** LIMIT/OFFSET parameters; no limit means all rows (SQLite reads LIMIT -1 as unbounded). */
export function pageParams(page: Page | undefined): { limit: number; offset: number } {
  const { limit, offset } = pageBounds(page);
  return { limit: limit ?? -1, offset };
}

export function toBit(value: boolean | undefined): 0 | 1 {
  return value ? 1 : 0;
}

type ConstraintKind = 'unique' | 'primarykey' | 'foreignkey' | 'check' | 'notnull';

/**
 * The constraint a better-sqlite3 SqliteError reports, with the columns from its message
 * (e.g. "UNIQUE constraint failed: users.email"), or null for any other error.
 */
export function constraintFailure(err: unknown): { kind: ConstraintKind; columns: string } | null {
  if (typeof err !== 'object' || err === null) return null;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_CONSTRAINT_')) return null;
  const kind = code.slice('SQLITE_CONSTRAINT_'.length).toLowerCase() as ConstraintKind;
  const message = (err as { message?: unknown }).message;
  const columns = typeof message === 'string' ? (message.split('failed: ')[1] ?? '') : '';
  return { kind, columns };
}

/**
 * Statements for queries whose WHERE clause depends on which filters are set. Each distinct
 * shape is prepared once and reused, so SQLite can still pick an index per shape (a single
 * `(? IS NULL OR col = ?)` statement would force one plan for all of them).
 */
export function createStatementCache(db: Database): (sql: string) => Statement {
  const cache = new Map<string, Statement>();
  return (sql) => {
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  };
}
