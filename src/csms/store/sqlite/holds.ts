/** Wallet holds: what running sessions reserve of their customer's wallet, released once at the stop. */
import type { HoldRepo } from '../../domain/ports.ts';
import { toHold, type HoldRow } from '../rows/accounts.ts';
import type { RepoContext } from './sql-helpers.ts';
import type { Sync } from './sync.ts';

/** The SQLite HoldRepo. Release and stop requests are single conditional UPDATEs: no read-then-write. */
export function createHoldRepo({ db }: RepoContext): Sync<HoldRepo> {
  const place = db.prepare<[number, number, number, string]>(
    'INSERT INTO wallet_holds (session_id, customer_id, amount_minor, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
  );
  const byId = db.prepare<[number], HoldRow>('SELECT * FROM wallet_holds WHERE session_id = ?');
  const release = db.prepare<[string, number]>('UPDATE wallet_holds SET released_at = ? WHERE session_id = ? AND released_at IS NULL');
  // A session's reservation grows with its cost once the cost passes the hold.
  const reserved = db.prepare<[number, number], { n: number }>(
    `SELECT COALESCE(SUM(MAX(h.amount_minor, s.cost_minor)), 0) AS n
     FROM wallet_holds AS h JOIN sessions AS s ON s.id = h.session_id
     WHERE h.customer_id = ? AND h.released_at IS NULL AND h.session_id <> ?`,
  );
  const requestStop = db.prepare<[string, number, string]>(
    `UPDATE wallet_holds SET stop_requested_at = ? WHERE session_id = ? AND released_at IS NULL
     AND (stop_requested_at IS NULL OR stop_requested_at < ?)`,
  );

  return {
    place(hold) {
      place.run(hold.sessionId, hold.customerId, hold.amountMinor, hold.createdAt);
    },
    get(sessionId) {
      const row = byId.get(sessionId);
      return row ? toHold(row) : null;
    },
    release(sessionId, at) {
      return release.run(at, sessionId).changes > 0;
    },
    reserved(customerId, except) {
      return reserved.get(customerId, except ?? -1)!.n;
    },
    requestStop(sessionId, at, notBefore) {
      return requestStop.run(at, sessionId, notBefore).changes > 0;
    },
  };
}
