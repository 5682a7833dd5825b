/** Stations: named sites that group charge points. */
import { CsmsError } from '../../domain/errors.ts';
import type { StationInput, StationRepo } from '../../domain/ports.ts';
import type { Sync } from './sync.ts';
import { toStation, type StationRow } from '../rows/charge-points.ts';
import { assertGridLimits, patchedStation } from '../rules.ts';
import { pageParams, type RepoContext } from './sql-helpers.ts';

/** The SQLite StationRepo; delete refuses while charge points belong to the station. */
export function createStationRepo({ db, now, tx }: RepoContext): Sync<StationRepo> {
  const insert = db.prepare<[string, string, number | null, number | null, number | null, number | null, string, string], StationRow>(
    `INSERT INTO stations (name, address, latitude, longitude, grid_limit_w, min_per_session_w, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
  );
  const byId = db.prepare<[number], StationRow>('SELECT * FROM stations WHERE id = ?');
  const list = db.prepare<[number, number], StationRow>('SELECT * FROM stations ORDER BY id LIMIT ? OFFSET ?');
  const countAll = db.prepare('SELECT COUNT(*) AS n FROM stations');
  const update = db.prepare<[string, string, number | null, number | null, number | null, number | null, string, number], StationRow>(
    `UPDATE stations SET name = ?, address = ?, latitude = ?, longitude = ?, grid_limit_w = ?, min_per_session_w = ?, updated_at = ?
     WHERE id = ? RETURNING *`,
  );
  const pointCount = db.prepare<[number], { n: number }>(
    'SELECT COUNT(*) AS n FROM charge_points WHERE station_id = ?',
  );
  const remove = db.prepare<[number]>('DELETE FROM stations WHERE id = ?');

  return {
    create(input) {
      assertGridLimits(input);
      const at = now();
      return toStation(
        insert.get(input.name, input.address ?? '', input.latitude ?? null, input.longitude ?? null, input.gridLimitW ?? null, input.minPerSessionW ?? null, at, at)!,
      );
    },
    get(id) {
      const row = byId.get(id);
      return row ? toStation(row) : null;
    },
    list(page) {
      const { limit, offset } = pageParams(page);
      return list.all(limit, offset).map(toStation);
    },
    count() {
      return (countAll.get() as { n: number }).n;
    },
    update(id, patch: Partial<StationInput>) {
      return tx(() => {
        const row = byId.get(id);
        if (!row) return null;
        const next = patchedStation(row, patch);
        assertGridLimits(next);
        const updated = update.get(next.name, next.address, next.latitude, next.longitude, next.gridLimitW, next.minPerSessionW, now(), id);
        return toStation(updated!);
      });
    },
    delete(id) {
      return tx(() => {
        const points = pointCount.get(id)!.n;
        if (points > 0) {
          throw new CsmsError('CSMS_ERR_IN_USE', `station ${id} still has ${points} charge point(s)`, { points });
        }
        return remove.run(id).changes > 0;
      });
    },
  };
}
