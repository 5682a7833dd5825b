/** The wallet ledger: append-only entries in integer minor units; the balance is their sum. */
import { CsmsError } from '../../domain/errors.ts';
import type { WalletRepo } from '../../domain/ports.ts';
import type { Sync } from './sync.ts';
import type { WalletEntryKind } from '../../domain/types.ts';
import { toWalletEntry, type WalletRow } from '../rows/accounts.ts';
import { assertAmount } from '../rules.ts';
import { constraintFailure, pageParams, type RepoContext } from './sql-helpers.ts';

/**
 * The SQLite WalletRepo. A second `charge` for the same session, or a second entry with the same
 * external id, hits a unique index and `add` returns null: a redelivered StopTransaction never
 * debits twice, and a redelivered payment webhook never credits twice.
 */
export function createWalletRepo({ db }: RepoContext): Sync<WalletRepo> {
  const balance = db.prepare<[number], { b: number }>(
    'SELECT COALESCE(SUM(amount_minor), 0) AS b FROM wallet_entries WHERE customer_id = ?',
  );
  // The balance less the unreleased holds' reservations (each the larger of the hold and its session's cost).
  const spendable = db.prepare<[number, number, number], { n: number }>(
    `SELECT (SELECT COALESCE(SUM(amount_minor), 0) FROM wallet_entries WHERE customer_id = ?)
       - (SELECT COALESCE(SUM(MAX(h.amount_minor, s.cost_minor)), 0)
          FROM wallet_holds AS h JOIN sessions AS s ON s.id = h.session_id
          WHERE h.customer_id = ? AND h.released_at IS NULL AND h.session_id <> ?) AS n`,
  );
  // DO NOTHING reacts only to the uniqueness conflict; a bad customer id still fails loudly.
  const insert = db.prepare<[number, number, WalletEntryKind, number | null, string | null, string | null, string | null, string], WalletRow>(
    `INSERT INTO wallet_entries (customer_id, amount_minor, kind, session_id, note, external_id, actor, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING *`,
  );
  const list = db.prepare<[number, number, number], WalletRow>(
    'SELECT * FROM wallet_entries WHERE customer_id = ? ORDER BY id DESC LIMIT ? OFFSET ?',
  );
  const count = db.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM wallet_entries WHERE customer_id = ?');

  return {
    balance(customerId) {
      return balance.get(customerId)!.b;
    },
    spendable(customerId, except) {
      return spendable.get(customerId, customerId, except ?? -1)!.n;
    },
    add(entry) {
      assertAmount(entry.kind, entry.amountMinor);
      try {
        const row = insert.get(
          entry.customerId,
          entry.amountMinor,
          entry.kind,
          entry.sessionId ?? null,
          entry.note ?? null,
          entry.externalId ?? null,
          entry.actor ?? null,
          entry.createdAt,
        );
        return row ? toWalletEntry(row) : null;
      } catch (err) {
        if (constraintFailure(err)?.kind === 'foreignkey') {
          throw new CsmsError('CSMS_ERR_NOT_FOUND', `customer ${entry.customerId} or session ${entry.sessionId ?? '-'}`);
        }
        throw err;
      }
    },
    list(customerId, page) {
      const { limit, offset } = pageParams(page);
      return list.all(customerId, limit, offset).map(toWalletEntry);
    },
    count(customerId) {
      return count.get(customerId)!.n;
    },
  };
}
