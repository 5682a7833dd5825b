/** Tariffs: integer minor-unit prices per kWh, per started minute and per session. */
import { CsmsError } from '../../domain/errors.ts';
import type { TariffInput, TariffRepo } from '../../domain/ports.ts';
import type { Tariff } from '../../domain/types.ts';
import { pageValues, type PgContext } from './context.ts';

interface TariffRow {
  id: number;
  name: string;
  currency: string;
  price_per_kwh: number;
  price_per_minute: number;
  session_fee: number;
  created_at: string;
  updated_at: string;
}

function toTariff(row: TariffRow): Tariff {
  return {
    id: row.id,
    name: row.name,
    currency: row.currency,
    pricePerKwh: row.price_per_kwh,
    pricePerMinute: row.price_per_minute,
    sessionFee: row.session_fee,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The schema has the same check; this one gives the API a readable error instead of a DatabaseError. */
function assertPrices(t: { pricePerKwh: number; pricePerMinute: number; sessionFee: number }): void {
  for (const [field, value] of Object.entries(t)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new CsmsError('CSMS_ERR_VALIDATION', `${field} must be a non-negative integer in minor units`);
    }
  }
}

/**
 * The PostgreSQL TariffRepo. Deleting a tariff that charge points use throws CSMS_ERR_IN_USE;
 * past sessions keep their prices and only lose the link (ON DELETE SET NULL).
 */
export function createTariffRepo({ db, now }: PgContext): TariffRepo {
  const byId = (id: number, lock = '') => db.first<TariffRow>(`SELECT * FROM tariffs WHERE id = $1 ${lock}`, [id]);
  return {
    async create(input) {
      const prices = { pricePerKwh: input.pricePerKwh, pricePerMinute: input.pricePerMinute ?? 0, sessionFee: input.sessionFee ?? 0 };
      assertPrices(prices);
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
        const prices = {
          pricePerKwh: patch.pricePerKwh ?? row.price_per_kwh,
          pricePerMinute: patch.pricePerMinute ?? row.price_per_minute,
          sessionFee: patch.sessionFee ?? row.session_fee,
        };
        assertPrices(prices);
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
