/**
 * Customers' cards (id_tags): several per customer, each blockable, with its own expiry and limit of
 * concurrent transactions. The primary card is users.id_tag, always one of the customer's cards.
 * idTags are CiString20: unique and looked up by lower(id_tag).
 */
import { CsmsError } from '../../domain/errors.ts';
import type { IdTagPatch, IdTagRepo, NewIdTag } from '../../domain/ports.ts';
import { toIdTagCard, type IdTagRow as Row } from '../rows/accounts.ts';
import type { PgContext } from './context.ts';
import { pgFailure, UNIQUE_VIOLATION } from './db.ts';

/** PostgreSQL returns boolean columns as true/false. */
type IdTagRow = Row<boolean>;

/** An idTag that another card (of any account) already has: CSMS_ERR_ID_TAG_TAKEN; anything else is rethrown. */
export function rethrowIdTagConflict(err: unknown): never {
  const failure = pgFailure(err);
  if (failure?.code === UNIQUE_VIOLATION && (failure.constraint === 'id_tags_id_tag_key' || failure.constraint === 'users_id_tag_key')) {
    throw new CsmsError('CSMS_ERR_ID_TAG_TAKEN');
  }
  throw err;
}

const COLUMNS = 'id_tag, customer_id, label, blocked, expires_at, max_concurrent, created_at';

/** The PostgreSQL IdTagRepo. */
export function createIdTagRepo({ db, now }: PgContext): IdTagRepo {
  const byTag = (idTag: string) =>
    db.first<IdTagRow>({ name: 'id_tags_get', text: `SELECT ${COLUMNS} FROM id_tags WHERE lower(id_tag) = lower($1::text COLLATE "C")`, values: [idTag] });
  const oldest = (customerId: number) =>
    db.first<IdTagRow>(`SELECT ${COLUMNS} FROM id_tags WHERE customer_id = $1 ORDER BY created_at, seq LIMIT 1`, [customerId]);

  return {
    async get(idTag) {
      const row = await byTag(idTag);
      return row ? toIdTagCard(row) : null;
    },
    async listForCustomer(customerId) {
      const rows = await db.rows<IdTagRow>(`SELECT ${COLUMNS} FROM id_tags WHERE customer_id = $1 ORDER BY created_at, seq`, [customerId]);
      return rows.map(toIdTagCard);
    },
    create: (card: NewIdTag, opts = {}) =>
      db.transaction(async () => {
        // DO NOTHING: a taken idTag leaves the enclosing transaction usable, as in SQLite.
        const row = await db.first<IdTagRow>(
          `INSERT INTO id_tags (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
          [card.idTag, card.customerId, card.label ?? null, card.blocked ?? false, card.expiresAt ?? null, card.maxConcurrent ?? 1, now()],
        );
        if (!row) throw new CsmsError('CSMS_ERR_ID_TAG_TAKEN');
        if (opts.primary) {
          await db.query('UPDATE users SET id_tag = $1 WHERE id = $2', [row.id_tag, card.customerId]);
        } else {
          await db.query('UPDATE users SET id_tag = $1 WHERE id = $2 AND id_tag IS NULL', [row.id_tag, card.customerId]);
        }
        return toIdTagCard(row);
      }),
    update: (idTag, patch: IdTagPatch) =>
      db.transaction(async () => {
        const row = await db.first<IdTagRow>(`SELECT ${COLUMNS} FROM id_tags WHERE lower(id_tag) = lower($1::text COLLATE "C") FOR UPDATE`, [idTag]);
        if (!row) return null;
        const updated = await db.first<IdTagRow>(
          `UPDATE id_tags SET label = $1, blocked = $2, expires_at = $3, max_concurrent = $4 WHERE id_tag = $5 RETURNING ${COLUMNS}`,
          [
            patch.label !== undefined ? patch.label : row.label,
            patch.blocked ?? row.blocked,
            patch.expiresAt !== undefined ? patch.expiresAt : row.expires_at,
            patch.maxConcurrent ?? row.max_concurrent,
            row.id_tag,
          ],
        );
        return toIdTagCard(updated!);
      }),
    async makePrimary(idTag) {
      await db.query('UPDATE users SET id_tag = t.id_tag FROM id_tags AS t WHERE lower(t.id_tag) = lower($1::text COLLATE "C") AND users.id = t.customer_id', [idTag]);
    },
    delete: (idTag) =>
      db.transaction(async () => {
        const row = await db.first<IdTagRow>(`SELECT ${COLUMNS} FROM id_tags WHERE lower(id_tag) = lower($1::text COLLATE "C") FOR UPDATE`, [idTag]);
        if (!row) return false;
        const active = await db.first<{ n: number }>(
          `SELECT COUNT(*) AS n FROM sessions WHERE customer_id = $1 AND status = 'active' AND lower(id_tag) = lower($2::text COLLATE "C")`,
          [row.customer_id, row.id_tag],
        );
        if (active!.n > 0) throw new CsmsError('CSMS_ERR_IN_USE', `idTag ${row.id_tag} has an active charging session`);
        const primary = await db.first('SELECT 1 FROM users WHERE id = $1 AND lower(id_tag) = lower($2::text COLLATE "C")', [row.customer_id, row.id_tag]);
        await db.query('DELETE FROM id_tags WHERE id_tag = $1', [row.id_tag]);
        if (primary) await db.query('UPDATE users SET id_tag = $1 WHERE id = $2', [(await oldest(row.customer_id))?.id_tag ?? null, row.customer_id]);
        return true;
      }),
  };
}
