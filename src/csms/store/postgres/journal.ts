/** The embedded broker's event journal (see EventJournalRepo) and processed event ids. */
import type { EventJournalRepo, JournalEntry, ProcessedEventRepo } from '../../domain/ports.ts';
import type { PgContext } from './context.ts';

interface JournalRow {
  seq: number;
  body: string;
  attempts: number;
  dead_error: string | null;
  created_at: string;
}

const toEntry = (r: JournalRow): JournalEntry => ({ seq: r.seq, body: r.body, attempts: r.attempts, deadError: r.dead_error, createdAt: r.created_at });

/** The PostgreSQL EventJournalRepo: one transaction per write, so a tick's events share one commit. */
export function createJournalRepo({ db }: PgContext): EventJournalRepo {
  return {
    write({ append, done, dead }, at) {
      return db.transaction(async () => {
        if (done.length > 0) await db.query({ name: 'journal_done', text: 'DELETE FROM event_journal WHERE seq = ANY($1::bigint[])', values: [done] });
        if (dead.length > 0) {
          await db.query({
            name: 'journal_dead',
            text: `UPDATE event_journal AS j SET dead_error = d.error, attempts = d.attempts
                   FROM unnest($1::bigint[], $2::text[], $3::int[]) AS d (seq, error, attempts) WHERE j.seq = d.seq`,
            values: [dead.map((d) => d.seq), dead.map((d) => d.error), dead.map((d) => d.attempts)],
          });
        }
        if (append.length === 0) return [];
        // WITH ORDINALITY and ORDER BY: the sequence numbers come back in the order of `append`.
        const rows = await db.rows<{ seq: number }>({
          name: 'journal_append',
          text: `INSERT INTO event_journal (body, created_at) SELECT b, $2 FROM unnest($1::text[]) WITH ORDINALITY AS a (b, n) ORDER BY n RETURNING seq`,
          values: [append, at],
        });
        return rows.map((r) => r.seq).sort((a, b) => a - b);
      });
    },
    async pending() {
      return (await db.rows<JournalRow>('SELECT * FROM event_journal WHERE dead_error IS NULL ORDER BY seq')).map(toEntry);
    },
    async dead() {
      return (await db.rows<JournalRow>('SELECT * FROM event_journal WHERE dead_error IS NOT NULL ORDER BY seq')).map(toEntry);
    },
    async revive() {
      const rows = await db.rows<JournalRow>('UPDATE event_journal SET dead_error = NULL, attempts = 0 WHERE dead_error IS NOT NULL RETURNING *');
      return rows.map(toEntry).sort((a, b) => a.seq - b.seq);
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
    async prune(olderThan) {
      return (await db.query('DELETE FROM processed_events WHERE processed_at < $1', [olderThan])).rowCount ?? 0;
    },
  };
}
