/** The embedded broker's event journal (see EventJournalRepo) and processed event ids. */
import type { EventJournalRepo, ProcessedEventRepo } from '../../domain/ports.ts';
import { toJournalEntry, type JournalRow } from '../rows/records.ts';
import type { PgContext } from './context.ts';

/** The PostgreSQL EventJournalRepo: one statement per write, so a tick's events share one commit. */
export function createJournalRepo({ db }: PgContext): EventJournalRepo {
  return {
    async write({ append, done, dead }, at) {
      // One statement, so one round trip and atomic without a transaction: the data-modifying CTEs
      // run to completion whether or not the INSERT reads them.
      const rows = await db.rows<{ seq: number }>({
        name: 'journal_write',
        text: `WITH forgotten AS (DELETE FROM event_journal WHERE seq = ANY($1::bigint[])),
               died AS (UPDATE event_journal AS j SET dead_error = d.error, attempts = d.attempts
                        FROM unnest($2::bigint[], $3::text[], $4::int[]) AS d (seq, error, attempts) WHERE j.seq = d.seq)
               INSERT INTO event_journal (body, created_at)
               SELECT b, $6 FROM unnest($5::text[]) WITH ORDINALITY AS a (b, n) ORDER BY n RETURNING seq`,
        values: [done, dead.map((d) => d.seq), dead.map((d) => d.error), dead.map((d) => d.attempts), append, at],
      });
      // Identity values are drawn in insertion order (ORDER BY n): ascending is the order of `append`.
      return rows.map((r) => r.seq).sort((a, b) => a - b);
    },
    async pending() {
      return (await db.rows<JournalRow>('SELECT * FROM event_journal WHERE dead_error IS NULL ORDER BY seq')).map(toJournalEntry);
    },
    async dead() {
      return (await db.rows<JournalRow>('SELECT * FROM event_journal WHERE dead_error IS NOT NULL ORDER BY seq')).map(toJournalEntry);
    },
    async revive() {
      const rows = await db.rows<JournalRow>('UPDATE event_journal SET dead_error = NULL, attempts = 0 WHERE dead_error IS NOT NULL RETURNING *');
      return rows.map(toJournalEntry).sort((a, b) => a.seq - b.seq);
    },
  };
}

/** The PostgreSQL ProcessedEventRepo; claim it in the same transaction as the event's effects. */
export function createProcessedEventRepo({ db }: PgContext): ProcessedEventRepo {
  return {
    async claim(eventId, at) {
      const result = await db.query({
        name: 'events_claim',
        text: 'INSERT INTO processed_events (event_id, processed_at) VALUES ($1, $2) ON CONFLICT DO NOTHING',
        values: [eventId, at],
      });
      return result.rowCount === 1;
    },
    async claimMany(eventIds, at) {
      if (eventIds.length === 0) return new Set();
      // One round trip for a whole batch. Sorted: two transactions claiming overlapping ids take
      // their row locks in the same order, so they queue instead of deadlocking.
      const rows = await db.rows<{ event_id: string }>({
        name: 'events_claim_many',
        text: `INSERT INTO processed_events (event_id, processed_at)
               SELECT DISTINCT id, $2::text FROM unnest($1::text[]) AS u (id) ORDER BY id
               ON CONFLICT DO NOTHING RETURNING event_id`,
        values: [eventIds, at],
      });
      return new Set(rows.map((r) => r.event_id));
    },
    async prune(olderThan) {
      return (await db.query('DELETE FROM processed_events WHERE processed_at < $1', [olderThan])).rowCount ?? 0;
    },
  };
}
