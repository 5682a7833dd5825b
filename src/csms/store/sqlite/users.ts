/**
 * Users: customers and admins. Emails are unique regardless of (ASCII) case; idTags likewise. A
 * user's idTag is the primary one of its cards (id-tags.ts), whose expiry it shows.
 */
import { CsmsError } from '../../domain/errors.ts';
import type { IdTagRepo, NewUser, Page, UserPatch, UserRepo } from '../../domain/ports.ts';
import type { Sync } from './sync.ts';
import type { Role, User, UserWithSecret } from '../../domain/types.ts';
import { toUser, type UserRow as Row } from '../rows/accounts.ts';
import { likePattern } from '../rules.ts';
import { rethrowIdTagConflict } from './id-tags.ts';
import { constraintFailure, createStatementCache, pageParams, toBit, type RepoContext } from './sql-helpers.ts';

/** SQLite returns boolean columns as 0/1. */
type UserRow = Row<0 | 1>;

/** Turns a unique-constraint failure into the error the API shows; anything else is rethrown. */
function rethrowConflict(err: unknown): never {
  const failure = constraintFailure(err);
  if (failure?.kind === 'unique' && failure.columns.includes('users.email')) {
    throw new CsmsError('CSMS_ERR_EMAIL_TAKEN');
  }
  rethrowIdTagConflict(err);
}

/** Users with their primary card's expiry. */
const SELECT_USERS = 'SELECT users.*, id_tags.expires_at AS id_tag_expires_at FROM users LEFT JOIN id_tags ON id_tags.id_tag = users.id_tag';

/** The SQLite UserRepo. Deleting a user with an active session throws CSMS_ERR_IN_USE. */
export function createUserRepo({ db, now, tx }: RepoContext, cards: Sync<IdTagRepo>): Sync<UserRepo> {
  const cached = createStatementCache(db);
  const insert = db.prepare<[string, string, Role, string, string], { id: number }>(
    `INSERT INTO users (email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
  );
  const byId = db.prepare<[number], UserRow>(`${SELECT_USERS} WHERE users.id = ?`);
  const byEmail = db.prepare<[string], UserRow>(`${SELECT_USERS} WHERE users.email = ?`);
  const byIdTag = db.prepare<[string], UserRow>(
    `${SELECT_USERS} WHERE users.id = (SELECT customer_id FROM id_tags WHERE id_tag = ?)`,
  );
  const update = db.prepare<[string, string, string, 0 | 1, number, number]>(
    `UPDATE users SET name = ?, email = ?, password_hash = ?, blocked = ?, max_concurrent_sessions = ? WHERE id = ?`,
  );
  const setPrimary = db.prepare<[string | null, number]>('UPDATE users SET id_tag = ? WHERE id = ?');
  const renameCard = db.prepare<[string, string]>('UPDATE id_tags SET id_tag = ? WHERE id_tag = ?');
  const removeCard = db.prepare<[string]>('DELETE FROM id_tags WHERE id_tag = ?');
  const setExpiry = db.prepare<[string | null, string]>('UPDATE id_tags SET expires_at = ? WHERE id_tag = ?');
  const activeSessions = db.prepare<[number], { n: number }>(
    `SELECT COUNT(*) AS n FROM sessions WHERE customer_id = ? AND status = 'active'`,
  );
  const remove = db.prepare<[number]>('DELETE FROM users WHERE id = ?');

  /** UserPatch.idTag: one of the user's own cards becomes primary; another idTag renames the primary card (or becomes the first); null deletes the primary card. */
  function changePrimary(id: number, current: string | null, next: string | null): void {
    if (next === null) {
      if (current !== null) removeCard.run(current);
      setPrimary.run(null, id);
      return;
    }
    const own = cards.get(next);
    if (own?.customerId === id && (current === null || own.idTag.toLowerCase() !== current.toLowerCase())) {
      setPrimary.run(own.idTag, id);
    } else if (current !== null) {
      try {
        renameCard.run(next, current);
        setPrimary.run(next, id);
      } catch (err) {
        rethrowConflict(err);
      }
    } else {
      cards.create({ idTag: next, customerId: id }, { primary: true });
    }
  }

  function where(filter: { role?: Role; q?: string }): { sql: string; params: Record<string, unknown> } {
    const clauses: string[] = [];
    const params: Record<string, unknown> = {};
    if (filter.role) {
      clauses.push('users.role = @role');
      params.role = filter.role;
    }
    if (filter.q) {
      clauses.push(`(users.email LIKE @q ESCAPE '\\' OR users.name LIKE @q ESCAPE '\\'
        OR users.id IN (SELECT customer_id FROM id_tags WHERE id_tag LIKE @q ESCAPE '\\'))`);
      params.q = likePattern(filter.q);
    }
    return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
  }

  return {
    create(user: NewUser): User {
      return tx(() => {
        let id: number;
        try {
          id = insert.get(user.email, user.name, user.role, user.passwordHash, now())!.id;
        } catch (err) {
          rethrowConflict(err);
        }
        if (user.idTag) cards.create({ idTag: user.idTag, customerId: id }, { primary: true });
        return toUser(byId.get(id)!);
      });
    },
    get(id) {
      const row = byId.get(id);
      return row ? toUser(row) : null;
    },
    findByEmail(email): UserWithSecret | null {
      const row = byEmail.get(email);
      return row ? { ...toUser(row), passwordHash: row.password_hash } : null;
    },
    findByIdTag(idTag) {
      const row = byIdTag.get(idTag);
      return row ? toUser(row) : null;
    },
    list(filter: { role?: Role; q?: string } & Page) {
      const { sql, params } = where(filter);
      const rows = cached(`${SELECT_USERS} ${sql} ORDER BY users.id LIMIT @limit OFFSET @offset`).all({
        ...params,
        ...pageParams(filter),
      }) as UserRow[];
      return rows.map(toUser);
    },
    count(filter) {
      const { sql, params } = where(filter);
      return (cached(`SELECT COUNT(*) AS n FROM users ${sql}`).get(params) as { n: number }).n;
    },
    update(id, patch: UserPatch) {
      return tx(() => {
        const row = byId.get(id);
        if (!row) return null;
        try {
          update.run(
            patch.name ?? row.name,
            patch.email ?? row.email,
            patch.passwordHash ?? row.password_hash,
            patch.blocked !== undefined ? toBit(patch.blocked) : row.blocked,
            patch.maxConcurrentSessions ?? row.max_concurrent_sessions,
            id,
          );
        } catch (err) {
          rethrowConflict(err);
        }
        if (patch.idTag !== undefined) changePrimary(id, row.id_tag, patch.idTag);
        const primary = byId.get(id)!.id_tag;
        // An expiry belongs to a card: without a primary card there is nothing to expire.
        if (patch.idTagExpiresAt !== undefined && primary !== null) setExpiry.run(patch.idTagExpiresAt, primary);
        return toUser(byId.get(id)!);
      });
    },
    delete(id) {
      return tx(() => {
        if (activeSessions.get(id)!.n > 0) {
          throw new CsmsError('CSMS_ERR_IN_USE', `user ${id} has an active charging session`);
        }
        return remove.run(id).changes > 0;
      });
    },
  };
}
