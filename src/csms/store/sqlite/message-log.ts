/** The OCPP message log: every frame in and out, per charge point, pruned to a fixed depth. */
import type { MessageLogRepo } from '../../domain/ports.ts';
import type { Sync } from './sync.ts';
import type { Direction } from '../../domain/types.ts';
import { toJson, toMessageLogEntry, type MessageRow } from '../rows/records.ts';
import { MESSAGE_LIST_LIMIT, PRUNE_BUDGET, pruneLimits } from '../rules.ts';
import type { RepoContext } from './sql-helpers.ts';

/**
 * The SQLite MessageLogRepo.
 *
 * prune() runs every few seconds, so it must not scan the whole log each time. The repository
 * counts, per charge point, the rows it may hold: one GROUP BY on the first prune, then +n on
 * each insert. Only charge points over the limit are visited, each with an O(keep) index walk to
 * find the cut-off id and a range delete below it. Rows another process inserts are pruned by
 * that process; an overestimate here only costs one index walk.
 */
export function createMessageLogRepo({ db, tx }: RepoContext): Sync<MessageLogRepo> {
  const insert = db.prepare<[string, Direction, number, string | null, string | null, string | null, number | null, string]>(
    `INSERT INTO ocpp_messages (charge_point_id, direction, message_type, action, message_id, payload, latency_ms, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const list = db.prepare<[string, number, number], MessageRow>(
    `SELECT * FROM ocpp_messages WHERE charge_point_id = ? AND id > ? ORDER BY id DESC LIMIT ?`,
  );
  const countAll = db.prepare<[], { cp: string; n: number }>(
    'SELECT charge_point_id AS cp, COUNT(*) AS n FROM ocpp_messages GROUP BY charge_point_id',
  );
  const cutoff = db.prepare<[string, number], { id: number }>(
    'SELECT id FROM ocpp_messages WHERE charge_point_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?',
  );
  const deleteUpTo = db.prepare<[string, number]>('DELETE FROM ocpp_messages WHERE charge_point_id = ? AND id <= ?');

  /** Upper bound of rows per charge point; null until the first prune has counted them. */
  let counts: Map<string, number> | null = null;

  return {
    insertMany(entries) {
      if (entries.length === 0) return;
      tx(() => {
        for (const e of entries) {
          insert.run(e.chargePointId, e.direction, e.messageType, e.action, e.messageId, toJson(e.payload), e.latencyMs, e.createdAt);
        }
      });
      if (counts) for (const e of entries) counts.set(e.chargePointId, (counts.get(e.chargePointId) ?? 0) + 1);
    },
    list(chargePointId, opts = {}) {
      return list.all(chargePointId, opts.afterId ?? 0, opts.limit ?? MESSAGE_LIST_LIMIT).map(toMessageLogEntry);
    },
    prune(keepPerChargePoint) {
      // Slack and a budget keep each call short (it runs on the event loop, between replies):
      // a charge point is cut back only once it is 10% over, and at most PRUNE_BUDGET per call.
      const { keep, trigger } = pruneLimits(keepPerChargePoint);
      return tx(() => {
        counts ??= new Map(countAll.all().map((r) => [r.cp, r.n]));
        let deleted = 0;
        let visited = 0;
        for (const [cp, n] of counts) {
          if (n < trigger) continue;
          if (visited++ >= PRUNE_BUDGET) break;
          const last = cutoff.get(cp, keep);
          if (last) deleted += deleteUpTo.run(cp, last.id).changes;
          if (keep === 0) counts.delete(cp);
          else counts.set(cp, keep);
        }
        return deleted;
      });
    },
  };
}
