/** The wallet ledger and holds: append-only entries in integer minor units; the balance is their sum. */
import { CsmsError } from '../../domain/errors.ts';
import type { HoldRepo, WalletRepo } from '../../domain/ports.ts';
import { toHold, toWalletEntry, type HoldRow, type WalletRow } from '../rows/accounts.ts';
import { assertAmount } from '../rules.ts';
import { pageValues, type PgContext } from './context.ts';
import { FOREIGN_KEY_VIOLATION, pgFailure } from './db.ts';

/**
 * The PostgreSQL WalletRepo. A second `charge` for the same session, or a second entry with the same
 * external id, hits a unique index and `add` returns null (ON CONFLICT DO NOTHING: never
 * read-then-write, so two concurrent transactions cannot both debit; the second waits for the first
 * and then does nothing).
 */
export function createWalletRepo({ db }: PgContext): WalletRepo {
  return {
    async balance(customerId) {
      const row = await db.first<{ b: number }>({
        name: 'wallet_balance',
        text: 'SELECT COALESCE(SUM(amount_minor), 0)::bigint AS b FROM wallet_entries WHERE customer_id = $1',
        values: [customerId],
      });
      return row!.b;
    },
    async spendable(customerId, except) {
      // One statement: one round trip, and both sums from the same snapshot.
      const row = await db.first<{ n: number }>({
        name: 'wallet_spendable',
        text: `SELECT ((SELECT COALESCE(SUM(amount_minor), 0) FROM wallet_entries WHERE customer_id = $1)
                 - (SELECT COALESCE(SUM(GREATEST(h.amount_minor, s.cost_minor)), 0)
                    FROM wallet_holds AS h JOIN sessions AS s ON s.id = h.session_id
                    WHERE h.customer_id = $1 AND h.released_at IS NULL AND h.session_id <> $2))::bigint AS n`,
        values: [customerId, except ?? -1],
      });
      return row!.n;
    },
    async add(entry) {
      assertAmount(entry.kind, entry.amountMinor);
      try {
        const row = await db.first<WalletRow>({
          name: 'wallet_add',
          text: `INSERT INTO wallet_entries (customer_id, amount_minor, kind, session_id, note, external_id, actor, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING *`,
          values: [entry.customerId, entry.amountMinor, entry.kind, entry.sessionId ?? null, entry.note ?? null, entry.externalId ?? null, entry.actor ?? null, entry.createdAt],
        });
        return row ? toWalletEntry(row) : null;
      } catch (err) {
        if (pgFailure(err)?.code === FOREIGN_KEY_VIOLATION) {
          throw new CsmsError('CSMS_ERR_NOT_FOUND', `customer ${entry.customerId} or session ${entry.sessionId ?? '-'}`);
        }
        throw err;
      }
    },
    async list(customerId, page) {
      const rows = await db.rows<WalletRow>('SELECT * FROM wallet_entries WHERE customer_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3', [customerId, ...pageValues(page)]);
      return rows.map(toWalletEntry);
    },
    async count(customerId) {
      return (await db.first<{ n: number }>('SELECT COUNT(*) AS n FROM wallet_entries WHERE customer_id = $1', [customerId]))!.n;
    },
  };
}

/** The PostgreSQL HoldRepo. Release and stop requests are single conditional UPDATEs: no read-then-write. */
export function createHoldRepo({ db }: PgContext): HoldRepo {
  return {
    async place(hold) {
      await db.query({
        name: 'holds_place',
        text: 'INSERT INTO wallet_holds (session_id, customer_id, amount_minor, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
        values: [hold.sessionId, hold.customerId, hold.amountMinor, hold.createdAt],
      });
    },
    async get(sessionId) {
      const row = await db.first<HoldRow>({ name: 'holds_get', text: 'SELECT * FROM wallet_holds WHERE session_id = $1', values: [sessionId] });
      return row ? toHold(row) : null;
    },
    async release(sessionId, at) {
      const result = await db.query({
        name: 'holds_release',
        text: 'UPDATE wallet_holds SET released_at = $1 WHERE session_id = $2 AND released_at IS NULL',
        values: [at, sessionId],
      });
      return (result.rowCount ?? 0) > 0;
    },
    async reserved(customerId, except) {
      // A session's reservation grows with its cost once the cost passes the hold.
      const row = await db.first<{ n: number }>({
        name: 'holds_reserved',
        text: `SELECT COALESCE(SUM(GREATEST(h.amount_minor, s.cost_minor)), 0)::bigint AS n
               FROM wallet_holds AS h JOIN sessions AS s ON s.id = h.session_id
               WHERE h.customer_id = $1 AND h.released_at IS NULL AND h.session_id <> $2`,
        values: [customerId, except ?? -1],
      });
      return row!.n;
    },
    async requestStop(sessionId, at, notBefore) {
      const result = await db.query({
        name: 'holds_request_stop',
        text: `UPDATE wallet_holds SET stop_requested_at = $1 WHERE session_id = $2 AND released_at IS NULL
               AND (stop_requested_at IS NULL OR stop_requested_at < $3)`,
        values: [at, sessionId, notBefore],
      });
      return (result.rowCount ?? 0) > 0;
    },
  };
}
