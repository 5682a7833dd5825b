/**
 * Users: customers and admins. Emails are unique regardless of (ASCII) case (a unique index on
 * lower(email)); idTags likewise. A user's idTag is the primary one of its cards (id-tags.ts).
 */
import { CsmsError } from '../../domain/errors.ts';
import type { IdTagRepo, NewUser, Page, UserPatch, UserRepo } from '../../domain/ports.ts';
import type { Role, UserWithSecret } from '../../domain/types.ts';
import { toUser, type UserRow as Row } from '../rows/accounts.ts';
import { likePattern } from '../rules.ts';
import { pageValues, Params, type PgContext } from './context.ts';
import { pgFailure, UNIQUE_VIOLATION } from './db.ts';
import { rethrowIdTagConflict } from './id-tags.ts';

/** PostgreSQL returns boolean columns as true/false. */
type UserRow = Row<boolean>;

function rethrowConflict(err: unknown): never {
  const failure = pgFailure(err);
  if (failure?.code === UNIQUE_VIOLATION && failure.constraint === 'users_email_key') throw new CsmsError('CSMS_ERR_EMAIL_TAKEN');
  rethrowIdTagConflict(err);
}

/** Users with their primary card's expiry. */
const SELECT_USERS = `SELECT users.*, id_tags.expires_at AS id_tag_expires_at FROM users
  LEFT JOIN id_tags ON lower(id_tags.id_tag) = lower(users.id_tag)`;

/** The PostgreSQL UserRepo. Deleting a user with an active session throws CSMS_ERR_IN_USE. */
export function createUserRepo({ db, now }: PgContext, cards: IdTagRepo): UserRepo {
  const byId = async (id: number) => db.first<UserRow>({ name: 'users_by_id', text: `${SELECT_USERS} WHERE users.id = $1`, values: [id] });

  async function changePrimary(id: number, current: string | null, next: string | null): Promise<void> {
    if (next === null) {
      if (current !== null) await db.query('DELETE FROM id_tags WHERE lower(id_tag) = lower($1::text COLLATE "C")', [current]);
      await db.query('UPDATE users SET id_tag = NULL WHERE id = $1', [id]);
      return;
    }
    const own = await cards.get(next);
    if (own?.customerId === id && (current === null || own.idTag.toLowerCase() !== current.toLowerCase())) {
      await db.query('UPDATE users SET id_tag = $1 WHERE id = $2', [own.idTag, id]);
    } else if (current !== null) {
      try {
        await db.query('UPDATE id_tags SET id_tag = $1 WHERE lower(id_tag) = lower($2::text COLLATE "C")', [next, current]);
        await db.query('UPDATE users SET id_tag = $1 WHERE id = $2', [next, id]);
      } catch (err) {
        rethrowConflict(err);
      }
    } else {
      await cards.create({ idTag: next, customerId: id }, { primary: true });
    }
  }

  function where(filter: { role?: Role; q?: string }, p: Params): string {
    const clauses: string[] = [];
    if (filter.role) clauses.push(`users.role = ${p.add(filter.role)}`);
    if (filter.q) {
      // SQLite's LIKE ignores ASCII case only; lower() in the "C" collation folds ASCII only too.
      const q = `lower(${p.add(likePattern(filter.q))}::text COLLATE "C")`;
      clauses.push(`(lower(users.email) LIKE ${q} ESCAPE '\\' OR lower(users.name) LIKE ${q} ESCAPE '\\'
        OR users.id IN (SELECT customer_id FROM id_tags WHERE lower(id_tag) LIKE ${q} ESCAPE '\\'))`);
    }
    return clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
  }

  return {
    // A savepoint (or transaction): a taken idTag undoes the user row too.
    create: (user: NewUser) =>
      db.transaction(async () => {
        const inserted = await db.first<{ id: number }>(
          `INSERT INTO users (email, name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT DO NOTHING RETURNING id`,
          [user.email, user.name, user.role, user.passwordHash, now()],
        );
        // The only unique index a new row can hit is the email's: DO NOTHING leaves the transaction usable.
        if (!inserted) throw new CsmsError('CSMS_ERR_EMAIL_TAKEN');
        if (user.idTag) await cards.create({ idTag: user.idTag, customerId: inserted.id }, { primary: true });
        return toUser((await byId(inserted.id))!);
      }),
    async get(id) {
      const row = await byId(id);
      return row ? toUser(row) : null;
    },
    async findByEmail(email): Promise<UserWithSecret | null> {
      const row = await db.first<UserRow>({ name: 'users_by_email', text: `${SELECT_USERS} WHERE lower(users.email) = lower($1::text COLLATE "C")`, values: [email] });
      return row ? { ...toUser(row), passwordHash: row.password_hash } : null;
    },
    async findByIdTag(idTag) {
      const row = await db.first<UserRow>({
        name: 'users_by_id_tag',
        text: `${SELECT_USERS} WHERE users.id = (SELECT customer_id FROM id_tags WHERE lower(id_tag) = lower($1::text COLLATE "C"))`,
        values: [idTag],
      });
      return row ? toUser(row) : null;
    },
    async list(filter: { role?: Role; q?: string } & Page) {
      const p = new Params();
      const sql = where(filter, p);
      const [limit, offset] = pageValues(filter);
      const rows = await db.rows<UserRow>(`${SELECT_USERS} ${sql} ORDER BY users.id LIMIT ${p.add(limit)} OFFSET ${p.add(offset)}`, p.values);
      return rows.map(toUser);
    },
    async count(filter) {
      const p = new Params();
      const sql = where(filter, p);
      return (await db.first<{ n: number }>(`SELECT COUNT(*) AS n FROM users ${sql}`, p.values))!.n;
    },
    update: (id, patch: UserPatch) =>
      db.transaction(async () => {
        const row = await db.first<UserRow>(`${SELECT_USERS} WHERE users.id = $1 FOR NO KEY UPDATE OF users`, [id]);
        if (!row) return null;
        try {
          await db.query(
            'UPDATE users SET name = $1, email = $2, password_hash = $3, blocked = $4, max_concurrent_sessions = $5 WHERE id = $6',
            [
              patch.name ?? row.name,
              patch.email ?? row.email,
              patch.passwordHash ?? row.password_hash,
              patch.blocked ?? row.blocked,
              patch.maxConcurrentSessions ?? row.max_concurrent_sessions,
              id,
            ],
          );
        } catch (err) {
          rethrowConflict(err);
        }
        if (patch.idTag !== undefined) await changePrimary(id, row.id_tag, patch.idTag);
        const primary = (await byId(id))!.id_tag;
        // An expiry belongs to a card: without a primary card there is nothing to expire.
        if (patch.idTagExpiresAt !== undefined && primary !== null) {
          await db.query('UPDATE id_tags SET expires_at = $1 WHERE lower(id_tag) = lower($2::text COLLATE "C")', [patch.idTagExpiresAt, primary]);
        }
        return toUser((await byId(id))!);
      }),
    delete: (id) =>
      db.transaction(async () => {
        // Locked first: a session another node starts for this customer (under lockCustomer) either
        // committed before the count below or waits until the user is gone.
        await db.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [id]);
        const active = await db.first<{ n: number }>(`SELECT COUNT(*) AS n FROM sessions WHERE customer_id = $1 AND status = 'active'`, [id]);
        if (active!.n > 0) throw new CsmsError('CSMS_ERR_IN_USE', `user ${id} has an active charging session`);
        return ((await db.query('DELETE FROM users WHERE id = $1', [id])).rowCount ?? 0) > 0;
      }),
  };
}
