/** The audit trail of commands sent to chargers and what they answered. */
import { CsmsError } from '../../domain/errors.ts';
import type { CommandRepo } from '../../domain/ports.ts';
import { toCommand, toJson, type CommandRow } from '../rows/records.ts';
import { pageValues, type PgContext } from './context.ts';

const COLUMNS = 'id, charge_point_id, action, request, status, response, requested_by, created_at, answered_at';

/**
 * The PostgreSQL CommandRepo. finish() settles a pending command; a charger's real answer
 * ('answered' / 'error') arriving after a timeout still replaces the timeout, but a timeout never
 * overwrites an answer.
 */
export function createCommandRepo({ db }: PgContext): CommandRepo {
  return {
    async create(rec) {
      const row = await db.first<CommandRow>({
        name: 'commands_create',
        text: `INSERT INTO commands (id, charge_point_id, action, request, status, requested_by, created_at)
               VALUES ($1, $2, $3, $4, 'pending', $5, $6) ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}`,
        values: [rec.id, rec.chargePointId, rec.action, toJson(rec.request), rec.requestedBy, rec.createdAt],
      });
      if (!row) throw new CsmsError('CSMS_ERR_CONFLICT', `command ${rec.id} already exists`);
      return toCommand(row);
    },
    async finish(id, status, response, at) {
      await db.query({
        name: 'commands_finish',
        text: `UPDATE commands SET status = $2, response = $3, answered_at = $4
               WHERE id = $1 AND (status = 'pending' OR (status IN ('timeout', 'offline') AND $2 IN ('answered', 'error')))`,
        values: [id, status, toJson(response), at],
      });
    },
    async get(id) {
      const row = await db.first<CommandRow>({ name: 'commands_get', text: `SELECT ${COLUMNS} FROM commands WHERE id = $1`, values: [id] });
      return row ? toCommand(row) : null;
    },
    async list(chargePointId, page) {
      const rows = await db.rows<CommandRow>(
        `SELECT ${COLUMNS} FROM commands WHERE charge_point_id = $1 ORDER BY created_at DESC, seq DESC LIMIT $2 OFFSET $3`,
        [chargePointId, ...pageValues(page)],
      );
      return rows.map(toCommand);
    },
  };
}
