/** The wallet ledger: append-only entries in integer minor units; the balance is their sum. */
import { CsmsError } from '../domain/errors.ts';
import type { WalletRepo } from '../domain/ports.ts';
import type { WalletEntry, WalletEntryKind } from '../domain/types.ts';
import { constraintFailure, pageParams, type RepoContext } from './sql-helpers.ts';

interface WalletRow {
  id: number;
  customer_id: number;
  amount_minor: number;
  kind: WalletEntryKind;
  session_id: number | null;
  note: string | null;
  created_at: string;
}

function toEntry(row: WalletRow): WalletEntry {
  return {
    id: row.id,
    customerId: row.customer_id,
    amountMinor: row.amount_minor,
    kind: row.kind,
    sessionId: row.session_id,
    note: row.note,
    createdAt: row.created_at,
  };
}

/** Signs by kind: a top-up adds money, a charge removes it (or is 0 for a free session). */
function assertAmount(kind: WalletEntryKind, amount: number): void {
  const ok =
    Number.isSafeInteger(amount) && (kind === 'topup' ? amount > 0 : kind === 'charge' ? amount <= 0 : true);
  if (!ok) throw new CsmsError('CSMS_ERR_BAD_AMOUNT', `${amount} is not a valid ${kind} amount`);
}

/**
 * The SQLite WalletRepo. A second `charge` for the same session hits the partial unique index and
 * `add` returns null, so a redelivered StopTransaction never debits twice.
 */
export function createWalletRepo({ db }: RepoContext): WalletRepo {
  const balance = db.prepare<[number], { b: number }>(
    'SELECT COALESCE(SUM(amount_minor), 0) AS b FROM wallet_entries WHERE customer_id = ?',
  );
  // DO NOTHING reacts only to the uniqueness conflict; a bad customer id still fails loudly.
  const insert = db.prepare<[number, number, WalletEntryKind, number | null, string | null, string], WalletRow>(
    `INSERT INTO wallet_entries (customer_id, amount_minor, kind, session_id, note, created_at)
     VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING *`,
  );
  const list = db.prepare<[number, number, number], WalletRow>(
    'SELECT * FROM wallet_entries WHERE customer_id = ? ORDER BY id DESC LIMIT ? OFFSET ?',
  );

  return {
    balance(customerId) {
      return balance.get(customerId)!.b;
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
          entry.createdAt,
        );
        return row ? toEntry(row) : null;
      } catch (err) {
        if (constraintFailure(err)?.kind === 'foreignkey') {
          throw new CsmsError('CSMS_ERR_NOT_FOUND', `customer ${entry.customerId} or session ${entry.sessionId ?? '-'}`);
        }
        throw err;
      }
    },
    list(customerId, page) {
      const { limit, offset } = pageParams(page);
      return list.all(customerId, limit, offset).map(toEntry);
    },
  };
}
