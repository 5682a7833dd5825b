/** The durable outbox: messages waiting for the broker, per node, oldest first. */
import type { OutboxItem, OutboxRepo } from '../domain/ports.ts';
import type { RepoContext } from './sql-helpers.ts';

interface OutboxRow {
  id: number;
  exchange: string;
  routing_key: string;
  body: string;
  created_at: string;
}

/** The SQLite OutboxRepo. */
export function createOutboxRepo({ db, tx }: RepoContext): OutboxRepo {
  const insert = db.prepare<[string, string, string, string, string]>(
    'INSERT INTO outbox (node_id, exchange, routing_key, body, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const take = db.prepare<[string, number], OutboxRow>('SELECT id, exchange, routing_key, body, created_at FROM outbox WHERE node_id = ? ORDER BY id LIMIT ?');
  const remove = db.prepare<[number]>('DELETE FROM outbox WHERE id = ?');
  const countNode = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM outbox WHERE node_id = ?');
  const countAll = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM outbox');
  const adopt = db.prepare<[string, string, number]>(
    `UPDATE outbox SET node_id = ? WHERE node_id <> ? AND node_id NOT IN (SELECT node_id FROM nodes WHERE alive_at >= ?)`,
  );

  return {
    add(nodeId, items, at) {
      tx(() => {
        for (const i of items) insert.run(nodeId, i.exchange, i.routingKey, i.body, at);
      });
    },
    take(nodeId, limit): OutboxItem[] {
      return take.all(nodeId, limit).map((r) => ({ id: r.id, exchange: r.exchange, routingKey: r.routing_key, body: r.body, createdAt: r.created_at }));
    },
    remove(ids) {
      tx(() => {
        for (const id of ids) remove.run(id);
      });
    },
    count(nodeId) {
      return (nodeId === undefined ? countAll.get() : countNode.get(nodeId))!.n;
    },
    adoptOrphans(nodeId, aliveSinceMs) {
      return adopt.run(nodeId, nodeId, aliveSinceMs).changes;
    },
  };
}
