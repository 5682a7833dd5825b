/** The audit trail of commands sent to chargers and what they answered. */
import { CsmsError } from '../../domain/errors.ts';
import type { CommandRepo } from '../../domain/ports.ts';
import type { Sync } from './sync.ts';
import { toCommand, toJson, type CommandRow } from '../rows/records.ts';
import { constraintFailure, pageParams, type RepoContext } from './sql-helpers.ts';

/**
 * The SQLite CommandRepo. finish() settles a pending command; a charger's real answer
 * ('answered' / 'error') arriving after a timeout still replaces the timeout, but a timeout never
 * overwrites an answer.
 */
export function createCommandRepo({ db }: RepoContext): Sync<CommandRepo> {
  const insert = db.prepare<[string, string, string, string | null, string | null, string], CommandRow>(
    `INSERT INTO commands (id, charge_point_id, action, request, status, requested_by, created_at)
     VALUES (?, ?, ?, ?, 'pending', ?, ?) RETURNING *`,
  );
  const finish = db.prepare(
    `UPDATE commands SET status = @status, response = @response, answered_at = @at
     WHERE id = @id AND (status = 'pending' OR (status IN ('timeout', 'offline') AND @status IN ('answered', 'error')))`,
  );
  const byId = db.prepare<[string], CommandRow>('SELECT * FROM commands WHERE id = ?');
  const list = db.prepare<[string, number, number], CommandRow>(
    'SELECT * FROM commands WHERE charge_point_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?',
  );

  return {
    create(rec) {
      try {
        const row = insert.get(rec.id, rec.chargePointId, rec.action, toJson(rec.request), rec.requestedBy, rec.createdAt);
        return toCommand(row!);
      } catch (err) {
        if (constraintFailure(err)?.kind === 'primarykey') {
          throw new CsmsError('CSMS_ERR_CONFLICT', `command ${rec.id} already exists`);
        }
        throw err;
      }
    },
    finish(id, status, response, at) {
      finish.run({ id, status, response: toJson(response), at });
    },
    get(id) {
      const row = byId.get(id);
      return row ? toCommand(row) : null;
    },
    list(chargePointId, page) {
      const { limit, offset } = pageParams(page);
      return list.all(chargePointId, limit, offset).map(toCommand);
    },
  };
}
