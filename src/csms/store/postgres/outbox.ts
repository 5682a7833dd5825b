/** The durable outbox: messages waiting for the broker, per node, oldest first; and node liveness. */
import type { NodeRepo, OutboxItem, OutboxRepo } from '../../domain/ports.ts';
import { toOutboxItem, type OutboxRow } from '../rows/records.ts';
import type { PgContext } from './context.ts';

/** The PostgreSQL OutboxRepo. */
export function createOutboxRepo({ db }: PgContext): OutboxRepo {
  return {
    async add(nodeId, items, at) {
      if (items.length === 0) return;
      await db.query({
        name: 'outbox_add',
        text: `INSERT INTO outbox (node_id, exchange, routing_key, body, created_at)
               SELECT $1, e, k, b, $5 FROM unnest($2::text[], $3::text[], $4::text[]) AS i (e, k, b)`,
        values: [nodeId, items.map((i) => i.exchange), items.map((i) => i.routingKey), items.map((i) => i.body), at],
      });
    },
    async take(nodeId, limit): Promise<OutboxItem[]> {
      const rows = await db.rows<OutboxRow>({
        name: 'outbox_take',
        text: 'SELECT id, exchange, routing_key, body, created_at FROM outbox WHERE node_id = $1 ORDER BY id LIMIT $2',
        values: [nodeId, limit],
      });
      return rows.map(toOutboxItem);
    },
    async remove(ids) {
      if (ids.length === 0) return;
      await db.query({ name: 'outbox_remove', text: 'DELETE FROM outbox WHERE id = ANY($1::bigint[])', values: [ids] });
    },
    async count(nodeId) {
      const row = nodeId === undefined
        ? await db.first<{ n: number }>('SELECT count(*) AS n FROM outbox')
        : await db.first<{ n: number }>({ name: 'outbox_count_node', text: 'SELECT count(*) AS n FROM outbox WHERE node_id = $1', values: [nodeId] });
      return row!.n;
    },
    adoptOrphans(nodeId, aliveSinceMs, unregisteredToo = false) {
      return db.transaction(async () => {
        let adopted = 0;
        // Per node, so the (node_id, id) index does the work: a large outbox is not scanned every few seconds.
        // SKIP LOCKED: two live nodes adopting at once take different orphans instead of waiting on each other.
        const gone = await db.rows<{ node_id: string }>('SELECT node_id FROM nodes WHERE alive_at < $1 AND node_id <> $2 FOR UPDATE SKIP LOCKED', [aliveSinceMs, nodeId]);
        for (const { node_id } of gone) {
          adopted += (await db.query('UPDATE outbox SET node_id = $1 WHERE node_id = $2', [nodeId, node_id])).rowCount ?? 0;
          await db.query('DELETE FROM nodes WHERE node_id = $1', [node_id]);
        }
        if (unregisteredToo) {
          const unregistered = await db.rows<{ node_id: string }>('SELECT DISTINCT node_id FROM outbox WHERE node_id NOT IN (SELECT node_id FROM nodes)');
          for (const { node_id } of unregistered) {
            if (node_id !== nodeId) adopted += (await db.query('UPDATE outbox SET node_id = $1 WHERE node_id = $2', [nodeId, node_id])).rowCount ?? 0;
          }
        }
        return adopted;
      });
    },
  };
}

/** The PostgreSQL NodeRepo. */
export function createNodeRepo({ db }: PgContext): NodeRepo {
  return {
    async alive(nodeId, startedAt, atMs) {
      await db.query({
        name: 'nodes_alive',
        text: 'INSERT INTO nodes (node_id, started_at, alive_at) VALUES ($1, $2, $3) ON CONFLICT (node_id) DO UPDATE SET alive_at = excluded.alive_at',
        values: [nodeId, startedAt, atMs],
      });
    },
    async leave(nodeId) {
      // Marked gone, not deleted: whoever adopts its outbox rows next deletes the row.
      await db.query('UPDATE nodes SET alive_at = 0 WHERE node_id = $1', [nodeId]);
    },
    async live(aliveSinceMs) {
      const rows = await db.rows<{ node_id: string }>({
        name: 'nodes_live',
        text: 'SELECT node_id FROM nodes WHERE alive_at >= $1 AND alive_at > 0 ORDER BY node_id COLLATE "C"',
        values: [aliveSinceMs],
      });
      return rows.map((r) => r.node_id);
    },
  };
}
