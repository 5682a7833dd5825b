/** The OCPP message log: every frame in and out, per charge point, pruned to a fixed depth. */
import type { MessageLogRepo } from '../../domain/ports.ts';
import { toJson, toMessageLogEntry, type MessageRow } from '../rows/records.ts';
import { MESSAGE_LIST_LIMIT, PRUNE_BUDGET, pruneLimits } from '../rules.ts';
import type { PgContext } from './context.ts';

/**
 * The PostgreSQL MessageLogRepo, pruning as the SQLite one does: per charge point, an upper bound
 * of its rows (one GROUP BY on the first prune, then +n per insert of this process); only charge
 * points over the limit are visited, each with an index walk to the cut-off id and a range delete.
 */
export function createMessageLogRepo({ db }: PgContext): MessageLogRepo {
  /** Upper bound of rows per charge point; null until the first prune has counted them. */
  let counts: Map<string, number> | null = null;

  return {
    async insertMany(entries) {
      if (entries.length === 0) return;
      // One statement for the whole batch: the columns travel as arrays.
      await db.query({
        name: 'messages_insert_many',
        text: `INSERT INTO ocpp_messages (charge_point_id, direction, message_type, action, message_id, payload, latency_ms, created_at)
               SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::text[])`,
        values: [
          entries.map((e) => e.chargePointId), entries.map((e) => e.direction), entries.map((e) => e.messageType),
          entries.map((e) => e.action), entries.map((e) => e.messageId), entries.map((e) => toJson(e.payload)),
          entries.map((e) => e.latencyMs), entries.map((e) => e.createdAt),
        ],
      });
      if (counts) for (const e of entries) counts.set(e.chargePointId, (counts.get(e.chargePointId) ?? 0) + 1);
    },
    async list(chargePointId, opts = {}) {
      const rows = await db.rows<MessageRow>({
        name: 'messages_list',
        text: 'SELECT * FROM ocpp_messages WHERE charge_point_id = $1 AND id > $2 ORDER BY id DESC LIMIT $3',
        values: [chargePointId, opts.afterId ?? 0, opts.limit ?? MESSAGE_LIST_LIMIT],
      });
      return rows.map(toMessageLogEntry);
    },
    prune(keepPerChargePoint) {
      // A charge point is cut back only once it is 10% over, and at most PRUNE_BUDGET per call.
      const { keep, trigger } = pruneLimits(keepPerChargePoint);
      // No transaction of its own: each cut is a range delete that stands alone.
      return (async () => {
        if (!counts) {
          const all = await db.rows<{ cp: string; n: number }>('SELECT charge_point_id AS cp, COUNT(*) AS n FROM ocpp_messages GROUP BY charge_point_id');
          counts = new Map(all.map((r) => [r.cp, r.n]));
        }
        let deleted = 0;
        let visited = 0;
        for (const [cp, n] of counts) {
          if (n < trigger) continue;
          if (visited++ >= PRUNE_BUDGET) break;
          const last = await db.first<{ id: number }>({
            name: 'messages_cutoff',
            text: 'SELECT id FROM ocpp_messages WHERE charge_point_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2',
            values: [cp, keep],
          });
          if (last) {
            const result = await db.query({ name: 'messages_delete_up_to', text: 'DELETE FROM ocpp_messages WHERE charge_point_id = $1 AND id <= $2', values: [cp, last.id] });
            deleted += result.rowCount ?? 0;
          }
          if (keep === 0) counts.delete(cp);
          else counts.set(cp, keep);
        }
        return deleted;
      })();
    },
  };
}
