/** Stores for tests: in memory with a settable clock, or a real temporary file. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStore, type SqliteStore } from '../../../src/csms/store/index.ts';

/** A fresh directory with a not-yet-existing db path inside (its parent too); cleanup() removes it. */
export function tempDbPath(): { path: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'csms-store-'));
  return { path: join(dir, 'nested', 'csms.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An in-memory store whose created_at / updated_at come from `clock.at` (an ISO string). */
export function memoryStore(at = '2024-05-01T12:00:00.000Z'): { store: SqliteStore; clock: { at: string } } {
  const clock = { at };
  const store = createSqliteStore(':memory:', { now: () => new Date(clock.at) });
  return { store, clock };
}
