/**
 * What every PostgreSQL repository is built with, and small helpers they share.
 *
 * Case-insensitive lookups (emails, idTags) compare lower(column) with lower($n::text COLLATE "C"):
 * the columns are "C", whose lower() folds ASCII only, exactly like SQLite's NOCASE, and the
 * parameter must be folded the same way whatever the database's default collation is.
 */
import type { Page } from '../../domain/ports.ts';
import { pageBounds } from '../rules.ts';
import type { Db } from './db.ts';

export interface PgContext {
  db: Db;
  /** ISO time used for created_at / updated_at columns the caller does not supply. */
  now(): string;
}

/** LIMIT/OFFSET values; no limit is NULL, which PostgreSQL reads as LIMIT ALL. */
export function pageValues(page: Page | undefined): [number | null, number] {
  const { limit, offset } = pageBounds(page);
  return [limit, offset];
}

/** Collects positional parameters for queries whose WHERE clause depends on the filter. */
export class Params {
  readonly values: unknown[] = [];
  /** Adds a value and returns its placeholder ($n). */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}
