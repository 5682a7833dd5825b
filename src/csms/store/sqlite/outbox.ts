/** The durable outbox: messages waiting for the broker, per node, oldest first. */
import type { OutboxItem, OutboxRepo } from '../../domain/ports.ts';
import { toOutboxItem, type OutboxRow } from '../rows/records.ts';
import type { RepoContext } from './sql-helpers.ts';
import type { Sync } from './sync.ts';

/** The SQLite OutboxRepo. */
export function createOutboxRepo({ db, tx }: RepoContext): Sync<OutboxRepo> {
  const insert = db.prepare<[string, string, string, string, string]>(
    'INSERT INTO outbox (node_id, exchange, routing_key, body, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const take = db.prepare<[string, number], OutboxRow>('SELECT id, exchange, routing_key, body, created_at FROM outbox WHERE node_id = ? ORDER BY id LIMIT ?');
  const remove = db.prepare<[number]>('DELETE FROM outbox WHERE id = ?');
  const countNode = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM outbox WHERE node_id = ?');
  const countAll = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM outbox');
  // Per node, so the (node_id, id) index does the work: a large outbox is not scanned every few seconds.
  const gone = db.prepare<[number, string], { node_id: string }>('SELECT node_id FROM nodes WHERE alive_at < ? AND node_id <> ?');
  const adoptFrom = db.prepare<[string, string]>('UPDATE outbox SET node_id = ? WHERE node_id = ?');
  const forget = db.prepare<[string]>('DELETE FROM nodes WHERE node_id = ?');
  const unregistered = db.prepare<[], { node_id: string }>('SELECT DISTINCT node_id FROM outbox WHERE node_id NOT IN (SELECT node_id FROM nodes)');

  return {
    add(nodeId, items, at) {
      tx(() => {
        for (const i of items) insert.run(nodeId, i.exchange, i.routingKey, i.body, at);
      });
    },
    take(nodeId, limit): OutboxItem[] {
      return take.all(nodeId, limit).map(toOutboxItem);
    },
    remove(ids) {
      tx(() => {
        for (const id of ids) remove.run(id);
      });
    },
    count(nodeId) {
      return (nodeId === undefined ? countAll.get() : countNode.get(nodeId))!.n;
    },
    adoptOrphans(nodeId, aliveSinceMs, unregisteredToo = false) {
      return tx(() => {
        let adopted = 0;
        for (const { node_id } of gone.all(aliveSinceMs, nodeId)) {
          adopted += adoptFrom.run(nodeId, node_id).changes;
          forget.run(node_id);
        }
        if (unregisteredToo) {
          for (const { node_id } of unregistered.all()) if (node_id !== nodeId) adopted += adoptFrom.run(nodeId, node_id).changes;
        }
        return adopted;
      });
    },
  };
}
