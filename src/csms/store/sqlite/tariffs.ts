/** Tariffs: integer minor-unit prices per kWh, per started minute and per session. */
import { CsmsError } from '../../domain/errors.ts';
import type { TariffInput, TariffRepo } from '../../domain/ports.ts';
import type { Sync } from './sync.ts';
import { toTariff, type TariffRow } from '../rows/charge-points.ts';
import { newTariffPrices, patchedTariffPrices } from '../rules.ts';
import { pageParams, type RepoContext } from './sql-helpers.ts';

/**
 * The SQLite TariffRepo. Deleting a tariff that charge points use throws CSMS_ERR_IN_USE rather
 * than silently moving those chargers to the fallback tariff (a price change nobody asked for);
 * past sessions keep their cost and currency and only lose the link (ON DELETE SET NULL).
 */
export function createTariffRepo({ db, now, tx }: RepoContext): Sync<TariffRepo> {
  const insert = db.prepare<[string, string, number, number, number, string, string], TariffRow>(
    `INSERT INTO tariffs (name, currency, price_per_kwh, price_per_minute, session_fee, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
  );
  const byId = db.prepare<[number], TariffRow>('SELECT * FROM tariffs WHERE id = ?');
  const list = db.prepare<[number, number], TariffRow>('SELECT * FROM tariffs ORDER BY id LIMIT ? OFFSET ?');
  const countAll = db.prepare('SELECT COUNT(*) AS n FROM tariffs');
  const update = db.prepare<[string, string, number, number, number, string, number], TariffRow>(
    `UPDATE tariffs SET name = ?, currency = ?, price_per_kwh = ?, price_per_minute = ?, session_fee = ?,
     updated_at = ? WHERE id = ? RETURNING *`,
  );
  const pointCount = db.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM charge_points WHERE tariff_id = ?');
  const remove = db.prepare<[number]>('DELETE FROM tariffs WHERE id = ?');
  // No tariff means free: no fallback to some other tariff, so what the CMS shows is what is billed.
  const forChargePoint = db.prepare<[string], TariffRow>(
    'SELECT t.* FROM charge_points AS cp JOIN tariffs AS t ON t.id = cp.tariff_id WHERE cp.id = ?',
  );

  return {
    create(input) {
      const prices = newTariffPrices(input);
      const at = now();
      const row = insert.get(input.name, input.currency, prices.pricePerKwh, prices.pricePerMinute, prices.sessionFee, at, at);
      return toTariff(row!);
    },
    get(id) {
      const row = byId.get(id);
      return row ? toTariff(row) : null;
    },
    list(page) {
      const { limit, offset } = pageParams(page);
      return list.all(limit, offset).map(toTariff);
    },
    count() {
      return (countAll.get() as { n: number }).n;
    },
    update(id, patch: Partial<TariffInput>) {
      return tx(() => {
        const row = byId.get(id);
        if (!row) return null;
        const prices = patchedTariffPrices(row, patch);
        const updated = update.get(
          patch.name ?? row.name,
          patch.currency ?? row.currency,
          prices.pricePerKwh,
          prices.pricePerMinute,
          prices.sessionFee,
          now(),
          id,
        );
        return toTariff(updated!);
      });
    },
    delete(id) {
      return tx(() => {
        const points = pointCount.get(id)!.n;
        if (points > 0) {
          throw new CsmsError('CSMS_ERR_IN_USE', `tariff ${id} is used by ${points} charge point(s)`, { points });
        }
        return remove.run(id).changes > 0;
      });
    },
    forChargePoint(chargePointId) {
      const row = forChargePoint.get(chargePointId);
      return row ? toTariff(row) : null;
    },
  };
}
