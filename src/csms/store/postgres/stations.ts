/** Stations: named sites that group charge points. */
import { CsmsError } from '../../domain/errors.ts';
import type { StationInput, StationRepo } from '../../domain/ports.ts';
import { toStation, type StationRow } from '../rows/charge-points.ts';
import { assertGridLimits, patchedStation } from '../rules.ts';
import { pageValues, type PgContext } from './context.ts';

/** The PostgreSQL StationRepo; delete refuses while charge points belong to the station. */
export function createStationRepo({ db, now }: PgContext): StationRepo {
  const byId = (id: number, lock = '') => db.first<StationRow>(`SELECT * FROM stations WHERE id = $1 ${lock}`, [id]);
  return {
    async create(input) {
      assertGridLimits(input);
      const at = now();
      const row = await db.first<StationRow>(
        `INSERT INTO stations (name, address, latitude, longitude, grid_limit_w, min_per_session_w, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING *`,
        [input.name, input.address ?? '', input.latitude ?? null, input.longitude ?? null, input.gridLimitW ?? null, input.minPerSessionW ?? null, at],
      );
      return toStation(row!);
    },
    async get(id) {
      const row = await byId(id);
      return row ? toStation(row) : null;
    },
    async list(page) {
      return (await db.rows<StationRow>('SELECT * FROM stations ORDER BY id LIMIT $1 OFFSET $2', pageValues(page))).map(toStation);
    },
    async count() {
      return (await db.first<{ n: number }>('SELECT COUNT(*) AS n FROM stations'))!.n;
    },
    update: (id, patch: Partial<StationInput>) =>
      db.transaction(async () => {
        const row = await byId(id, 'FOR UPDATE');
        if (!row) return null;
        const next = patchedStation(row, patch);
        assertGridLimits(next);
        const updated = await db.first<StationRow>(
          'UPDATE stations SET name = $1, address = $2, latitude = $3, longitude = $4, grid_limit_w = $5, min_per_session_w = $6, updated_at = $7 WHERE id = $8 RETURNING *',
          [next.name, next.address, next.latitude, next.longitude, next.gridLimitW, next.minPerSessionW, now(), id],
        );
        return toStation(updated!);
      }),
    delete: (id) =>
      db.transaction(async () => {
        const points = (await db.first<{ n: number }>('SELECT COUNT(*) AS n FROM charge_points WHERE station_id = $1', [id]))!.n;
        if (points > 0) throw new CsmsError('CSMS_ERR_IN_USE', `station ${id} still has ${points} charge point(s)`, { points });
        return ((await db.query('DELETE FROM stations WHERE id = $1', [id])).rowCount ?? 0) > 0;
      }),
  };
}
