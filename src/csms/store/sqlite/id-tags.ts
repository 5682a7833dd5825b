/**
 * Customers' cards (id_tags): several per customer, each blockable, with its own expiry and limit of
 * concurrent transactions. The primary card is users.id_tag, always one of the customer's cards.
 */
import { CsmsError } from '../../domain/errors.ts';
import type { IdTagPatch, IdTagRepo, NewIdTag } from '../../domain/ports.ts';
import type { Sync } from './sync.ts';
import { toIdTagCard, type IdTagRow as Row } from '../rows/accounts.ts';
import { constraintFailure, toBit, type RepoContext } from './sql-helpers.ts';

/** SQLite returns boolean columns as 0/1. */
type IdTagRow = Row<0 | 1>;

/** An idTag that another card (of any account) already has: CSMS_ERR_ID_TAG_TAKEN; anything else is rethrown. */
export function rethrowIdTagConflict(err: unknown): never {
  const failure = constraintFailure(err);
  const unique = failure?.kind === 'unique' || failure?.kind === 'primarykey';
  if (unique && (failure.columns.includes('id_tags.id_tag') || failure.columns.includes('users.id_tag'))) {
    throw new CsmsError('CSMS_ERR_ID_TAG_TAKEN');
  }
  throw err;
}

/** The SQLite IdTagRepo. */
export function createIdTagRepo({ db, now, tx }: RepoContext): Sync<IdTagRepo> {
  const byTag = db.prepare<[string], IdTagRow>('SELECT * FROM id_tags WHERE id_tag = ?');
  const ofCustomer = db.prepare<[number], IdTagRow>('SELECT * FROM id_tags WHERE customer_id = ? ORDER BY created_at, rowid');
  const insert = db.prepare<[string, number, string | null, 0 | 1, string | null, number, string], IdTagRow>(
    `INSERT INTO id_tags (id_tag, customer_id, label, blocked, expires_at, max_concurrent, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
  );
  const update = db.prepare<[string | null, 0 | 1, string | null, number, string], IdTagRow>(
    'UPDATE id_tags SET label = ?, blocked = ?, expires_at = ?, max_concurrent = ? WHERE id_tag = ? RETURNING *',
  );
  const remove = db.prepare<[string]>('DELETE FROM id_tags WHERE id_tag = ?');
  const hasPrimary = db.prepare<[number], { id_tag: string | null }>('SELECT id_tag FROM users WHERE id = ?');
  // users.id_tag compares case-insensitively (COLLATE NOCASE), as idTags do everywhere.
  const isPrimary = db.prepare<[number, string], { one: number }>('SELECT 1 AS one FROM users WHERE id = ? AND id_tag = ?');
  const setPrimary = db.prepare<[string | null, number]>('UPDATE users SET id_tag = ? WHERE id = ?');
  const activeWith = db.prepare<[number, string], { n: number }>(
    `SELECT COUNT(*) AS n FROM sessions WHERE customer_id = ? AND status = 'active' AND id_tag = ? COLLATE NOCASE`,
  );

  return {
    get(idTag) {
      const row = byTag.get(idTag);
      return row ? toIdTagCard(row) : null;
    },
    listForCustomer(customerId) {
      return ofCustomer.all(customerId).map(toIdTagCard);
    },
    create(card: NewIdTag, opts = {}) {
      return tx(() => {
        let row: IdTagRow;
        try {
          row = insert.get(card.idTag, card.customerId, card.label ?? null, toBit(card.blocked), card.expiresAt ?? null, card.maxConcurrent ?? 1, now())!;
        } catch (err) {
          rethrowIdTagConflict(err);
        }
        if (opts.primary || !hasPrimary.get(card.customerId)?.id_tag) setPrimary.run(row.id_tag, card.customerId);
        return toIdTagCard(row);
      });
    },
    update(idTag, patch: IdTagPatch) {
      return tx(() => {
        const row = byTag.get(idTag);
        if (!row) return null;
        const updated = update.get(
          patch.label !== undefined ? patch.label : row.label,
          patch.blocked !== undefined ? toBit(patch.blocked) : row.blocked,
          patch.expiresAt !== undefined ? patch.expiresAt : row.expires_at,
          patch.maxConcurrent ?? row.max_concurrent,
          row.id_tag,
        );
        return toIdTagCard(updated!);
      });
    },
    makePrimary(idTag) {
      const row = byTag.get(idTag);
      if (row) setPrimary.run(row.id_tag, row.customer_id);
    },
    delete(idTag) {
      return tx(() => {
        const row = byTag.get(idTag);
        if (!row) return false;
        if (activeWith.get(row.customer_id, row.id_tag)!.n > 0) {
          throw new CsmsError('CSMS_ERR_IN_USE', `idTag ${row.id_tag} has an active charging session`);
        }
        const wasPrimary = isPrimary.get(row.customer_id, row.id_tag) !== undefined;
        remove.run(row.id_tag);
        if (wasPrimary) setPrimary.run(ofCustomer.get(row.customer_id)?.id_tag ?? null, row.customer_id);
        return true;
      });
    },
  };
}
