/** Each charger's Local Authorization List as it confirmed it, and the cards that belong on every list. */
import type { LocalListRepo } from '../../domain/ports.ts';
import { localListValues, toLocalList, toWanted, type LocalListRow, type WantedRow } from '../rows/local-lists.ts';
import type { RepoContext } from './sql-helpers.ts';
import type { Sync } from './sync.ts';

export function createLocalListRepo({ db }: RepoContext): Sync<LocalListRepo> {
  const get = db.prepare<[string], LocalListRow>('SELECT * FROM local_lists WHERE charge_point_id = ?');
  const save = db.prepare(
    `INSERT INTO local_lists (charge_point_id, version, entries, reported_version, status, detail, updated_at, omitted) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (charge_point_id) DO UPDATE SET version = excluded.version, entries = excluded.entries, reported_version = excluded.reported_version,
       status = excluded.status, detail = excluded.detail, updated_at = excluded.updated_at, omitted = excluded.omitted`,
  );
  const wanted = db.prepare<[string], WantedRow>(
    `SELECT t.id_tag, t.expires_at FROM id_tags t JOIN users u ON u.id = t.customer_id
     WHERE t.blocked = 0 AND u.blocked = 0 AND (t.expires_at IS NULL OR t.expires_at > ?)`,
  );
  return {
    get(chargePointId) {
      const row = get.get(chargePointId);
      return row ? toLocalList(row) : null;
    },
    save(state) {
      save.run(...localListValues(state));
    },
    wanted(now) {
      return toWanted(wanted.all(now));
    },
  };
}
