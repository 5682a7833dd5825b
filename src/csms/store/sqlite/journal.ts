/** The embedded broker's event journal (see EventJournalRepo) and node liveness (NodeRepo). */
import type { EventJournalRepo, NodeRepo } from '../../domain/ports.ts';
import { toJournalEntry, type JournalRow } from '../rows/records.ts';
import type { RepoContext } from './sql-helpers.ts';
import type { Sync } from './sync.ts';

/** The SQLite EventJournalRepo: one transaction per write, so a tick's events share one commit. */
export function createJournalRepo({ db, tx }: RepoContext): Sync<EventJournalRepo> {
  const insert = db.prepare<[string, string]>('INSERT INTO event_journal (body, created_at) VALUES (?, ?)');
  const removeRange = db.prepare<[number, number]>('DELETE FROM event_journal WHERE seq BETWEEN ? AND ?');
  const markDead = db.prepare<[string, number, number]>('UPDATE event_journal SET dead_error = ?, attempts = ? WHERE seq = ?');
  const pending = db.prepare<[], JournalRow>('SELECT * FROM event_journal WHERE dead_error IS NULL ORDER BY seq');
  const dead = db.prepare<[], JournalRow>('SELECT * FROM event_journal WHERE dead_error IS NOT NULL ORDER BY seq');
  const revive = db.prepare<[], JournalRow>('UPDATE event_journal SET dead_error = NULL, attempts = 0 WHERE dead_error IS NOT NULL RETURNING *');

  return {
    write({ append, done, dead: died }, at) {
      return tx(() => {
        // Processed entries come in long runs of consecutive numbers: one statement per run.
        const sorted = done.length > 1 ? [...done].sort((a, b) => a - b) : done;
        for (let i = 0; i < sorted.length;) {
          let j = i;
          while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
          removeRange.run(sorted[i], sorted[j]);
          i = j + 1;
        }
        for (const d of died) markDead.run(d.error, d.attempts, d.seq);
        return append.map((body) => Number(insert.run(body, at).lastInsertRowid));
      });
    },
    pending: () => pending.all().map(toJournalEntry),
    dead: () => dead.all().map(toJournalEntry),
    revive: () => tx(() => revive.all().map(toJournalEntry).sort((a, b) => a.seq - b.seq)),
  };
}

/** The SQLite NodeRepo. */
export function createNodeRepo({ db }: RepoContext): Sync<NodeRepo> {
  const upsert = db.prepare<[string, string, number]>(
    'INSERT INTO nodes (node_id, started_at, alive_at) VALUES (?, ?, ?) ON CONFLICT (node_id) DO UPDATE SET alive_at = excluded.alive_at',
  );
  // Marked gone, not deleted: whoever adopts its outbox rows next deletes the row.
  const gone = db.prepare<[string]>('UPDATE nodes SET alive_at = 0 WHERE node_id = ?');
  const live = db.prepare<[number], { node_id: string }>('SELECT node_id FROM nodes WHERE alive_at >= ? AND alive_at > 0 ORDER BY node_id');
  return {
    alive(nodeId, startedAt, atMs) {
      upsert.run(nodeId, startedAt, atMs);
    },
    leave(nodeId) {
      gone.run(nodeId);
    },
    live(aliveSinceMs) {
      return live.all(aliveSinceMs).map((r) => r.node_id);
    },
  };
}
