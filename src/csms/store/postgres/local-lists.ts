/** Each charger's Local Authorization List as it confirmed it, and the cards that belong on every list. */
import type { LocalListRepo } from '../../domain/ports.ts';
import { localListValues, toLocalList, toWanted, type LocalListRow, type WantedRow } from '../rows/local-lists.ts';
import type { PgContext } from './context.ts';

const COLUMNS = 'charge_point_id, version, entries, reported_version, status, detail, updated_at, omitted';

export function createLocalListRepo({ db }: PgContext): LocalListRepo {
  return {
    async get(chargePointId) {
      const row = await db.first<LocalListRow>({ name: 'local_lists_get', text: `SELECT ${COLUMNS} FROM local_lists WHERE charge_point_id = $1`, values: [chargePointId] });
      return row ? toLocalList(row) : null;
    },
    async save(state) {
      await db.query({
        name: 'local_lists_save',
        text: `INSERT INTO local_lists (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
               ON CONFLICT (charge_point_id) DO UPDATE SET version = excluded.version, entries = excluded.entries, reported_version = excluded.reported_version,
                 status = excluded.status, detail = excluded.detail, updated_at = excluded.updated_at, omitted = excluded.omitted`,
        values: localListValues(state),
      });
    },
    async wanted(now) {
      const rows = await db.rows<WantedRow>(
        `SELECT t.id_tag, t.expires_at FROM id_tags t JOIN users u ON u.id = t.customer_id
         WHERE NOT t.blocked AND NOT u.blocked AND (t.expires_at IS NULL OR t.expires_at > $1)`,
        [now],
      );
      return toWanted(rows);
    },
  };
}
