/** A real temporary SQLite file path, for the SQLite-only tests (the contract suite opens stores with test/helpers/stores.ts). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory with a not-yet-existing db path inside (its parent too); cleanup() removes it. */
export function tempDbPath(): { path: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'csms-store-'));
  return { path: join(dir, 'nested', 'csms.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
