/** Users: customers and admins. Emails are unique regardless of (ASCII) case; idTags likewise. */
import { CsmsError } from '../domain/errors.ts';
import type { NewUser, Page, UserPatch, UserRepo } from '../domain/ports.ts';
import type { Role, User, UserWithSecret } from '../domain/types.ts';
import { constraintFailure, createStatementCache, pageParams, toBit, type RepoContext } from './sql-helpers.ts';

interface UserRow {
  id: number;
  email: string;
  name: string;
  role: Role;
  id_tag: string | null;
  id_tag_expires_at: string | null;
  blocked: 0 | 1;
  password_hash: string;
  created_at: string;
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    idTag: row.id_tag,
    idTagExpiresAt: row.id_tag_expires_at,
    blocked: row.blocked === 1,
    createdAt: row.created_at,
  };
}

/** Turns a unique-constraint failure into the error the API shows; anything else is rethrown. */
function rethrowConflict(err: unknown): never {
  const failure = constraintFailure(err);
  if (failure?.kind === 'unique' && failure.columns.includes('users.email')) {
    throw new CsmsError('CSMS_ERR_EMAIL_TAKEN');
  }
  if (failure?.kind === 'unique' && failure.columns.includes('users.id_tag')) {
    throw new CsmsError('CSMS_ERR_ID_TAG_TAKEN');
  }
  throw err;
}

/** Escapes LIKE wildcards so a search for "a_b" matches that text only. */
function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The SQLite UserRepo. Deleting a user with an active session throws CSMS_ERR_IN_USE. */
export function createUserRepo({ db, now, tx }: RepoContext): UserRepo {
  const cached = createStatementCache(db);
  const insert = db.prepare<[string, string, Role, string | null, string, string], UserRow>(
    `INSERT INTO users (email, name, role, id_tag, password_hash, created_at)
     VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
  );
  const byId = db.prepare<[number], UserRow>('SELECT * FROM users WHERE id = ?');
  const byEmail = db.prepare<[string], UserRow>('SELECT * FROM users WHERE email = ?');
  const byIdTag = db.prepare<[string], UserRow>('SELECT * FROM users WHERE id_tag = ?');
  const update = db.prepare<[string, string, string, string | null, string | null, 0 | 1, number], UserRow>(
    `UPDATE users SET name = ?, email = ?, password_hash = ?, id_tag = ?, id_tag_expires_at = ?, blocked = ?
     WHERE id = ? RETURNING *`,
  );
  const activeSessions = db.prepare<[number], { n: number }>(
    `SELECT COUNT(*) AS n FROM sessions WHERE customer_id = ? AND status = 'active'`,
  );
  const remove = db.prepare<[number]>('DELETE FROM users WHERE id = ?');

  function where(filter: { role?: Role; q?: string }): { sql: string; params: Record<string, unknown> } {
    const clauses: string[] = [];
    const params: Record<string, unknown> = {};
    if (filter.role) {
      clauses.push('role = @role');
      params.role = filter.role;
    }
    if (filter.q) {
      clauses.push(`(email LIKE @q ESCAPE '\\' OR name LIKE @q ESCAPE '\\' OR id_tag LIKE @q ESCAPE '\\')`);
      params.q = likePattern(filter.q);
    }
    return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
  }

  return {
    create(user: NewUser): User {
      try {
        return toUser(insert.get(user.email, user.name, user.role, user.idTag ?? null, user.passwordHash, now())!);
      } catch (err) {
        rethrowConflict(err);
      }
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
      const rows = cached(`SELECT * FROM users ${sql} ORDER BY id LIMIT @limit OFFSET @offset`).all({
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
          const updated = update.get(
            patch.name ?? row.name,
            patch.email ?? row.email,
            patch.passwordHash ?? row.password_hash,
            patch.idTag !== undefined ? patch.idTag : row.id_tag,
            patch.idTagExpiresAt !== undefined ? patch.idTagExpiresAt : row.id_tag_expires_at,
            patch.blocked !== undefined ? toBit(patch.blocked) : row.blocked,
            id,
          );
          return toUser(updated!);
        } catch (err) {
          rethrowConflict(err);
        }
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
