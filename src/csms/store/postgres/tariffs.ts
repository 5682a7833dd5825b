/** Tariffs: integer minor-unit prices per kWh, per started minute and per session. */
import { CsmsError } from '../../domain/errors.ts';
import type { TariffInput, TariffRepo } from '../../domain/ports.ts';
import { toTariff, type TariffRow } from '../rows/charge-points.ts';
import { newTariffPrices, patchedTariffPrices } from '../rules.ts';
import { pageValues, type PgContext } from './context.ts';

/**
 * The PostgreSQL TariffRepo. Deleting a tariff that charge points use throws CSMS_ERR_IN_USE;
 * past sessions keep their prices and only lose the link (ON DELETE SET NULL).
 */
export function createTariffRepo({ db, now }: PgContext): TariffRepo {
  const byId = (id: number, lock = '') => db.first<TariffRow>(`SELECT * FROM tariffs WHERE id = $1 ${lock}`, [id]);
  return {
    async create(input) {
      const prices = newTariffPrices(input);
      const at = now();
      const row = await db.first<TariffRow>(
        `INSERT INTO tariffs (name, currency, price_per_kwh, price_per_minute, session_fee, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING *`,
        [input.name, input.currency, prices.pricePerKwh, prices.pricePerMinute, prices.sessionFee, at],
      );
      return toTariff(row!);
    },
    async get(id) {
      const row = await byId(id);
      return row ? toTariff(row) : null;
    },
    async list(page) {
      return (await db.rows<TariffRow>('SELECT * FROM tariffs ORDER BY id LIMIT $1 OFFSET $2', pageValues(page))).map(toTariff);
    },
    async count() {
      return (await db.first<{ n: number }>('SELECT COUNT(*) AS n FROM tariffs'))!.n;
    },
    update: (id, patch: Partial<TariffInput>) =>
      db.transaction(async () => {
        const row = await byId(id, 'FOR UPDATE');
        if (!row) return null;
        const prices = patchedTariffPrices(row, patch);
        const updated = await db.first<TariffRow>(
          `UPDATE tariffs SET name = $1, currency = $2, price_per_kwh = $3, price_per_minute = $4, session_fee = $5, updated_at = $6
           WHERE id = $7 RETURNING *`,
          [patch.name ?? row.name, patch.currency ?? row.currency, prices.pricePerKwh, prices.pricePerMinute, prices.sessionFee, now(), id],
        );
        return toTariff(updated!);
      }),
    delete: (id) =>
      db.transaction(async () => {
        const points = (await db.first<{ n: number }>('SELECT COUNT(*) AS n FROM charge_points WHERE tariff_id = $1', [id]))!.n;
        if (points > 0) throw new CsmsError('CSMS_ERR_IN_USE', `tariff ${id} is used by ${points} charge point(s)`, { points });
        return ((await db.query('DELETE FROM tariffs WHERE id = $1', [id])).rowCount ?? 0) > 0;
      }),
    async forChargePoint(chargePointId) {
      // No tariff means free: no fallback to some other tariff, so what the CMS shows is what is billed.
      const row = await db.first<TariffRow>({
        name: 'tariffs_for_charge_point',
        text: 'SELECT t.* FROM charge_points AS cp JOIN tariffs AS t ON t.id = cp.tariff_id WHERE cp.id = $1',
        values: [chargePointId],
      });
      return row ? toTariff(row) : null;
    },
  };
}
