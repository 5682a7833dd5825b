/** Ids of broker events already applied: the at-least-once broker's deduplication table. */
import type { ProcessedEventRepo } from '../../domain/ports.ts';
import type { RepoContext } from './sql-helpers.ts';
import type { Sync } from './sync.ts';

/** The SQLite ProcessedEventRepo; claim it in the same transaction as the event's effects. */
export function createProcessedEventRepo({ db }: RepoContext): Sync<ProcessedEventRepo> {
  const claim = db.prepare<[string, string]>(
    'INSERT INTO processed_events (event_id, processed_at) VALUES (?, ?) ON CONFLICT DO NOTHING',
  );
  const prune = db.prepare<[string]>('DELETE FROM processed_events WHERE processed_at < ?');

  return {
    claim(eventId, at) {
      return claim.run(eventId, at).changes === 1;
    },
    claimMany(eventIds, at) {
      // Synchronous: a loop is as good as one statement here.
      const claimed = new Set<string>();
      for (const id of eventIds) if (claim.run(id, at).changes === 1) claimed.add(id);
      return claimed;
    },
    prune(olderThan) {
      return prune.run(olderThan).changes;
    },
  };
}
