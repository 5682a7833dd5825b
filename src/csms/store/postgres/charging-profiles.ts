/** The charging profiles chargers accepted, and how many each did not confirm. */
import type { ChargingProfileRepo } from '../../domain/ports.ts';
import { clearCondition, toInstalledProfile, toUnconfirmed, type ChargingProfileRow, type UnconfirmedRow } from '../rows/charging-profiles.ts';
import { Params, type PgContext } from './context.ts';

/** The PostgreSQL ChargingProfileRepo. */
export function createChargingProfileRepo({ db }: PgContext): ChargingProfileRepo {
  return {
    install: (p) =>
      db.transaction(async () => {
        // A stop completes the session (an UPDATE) before it removes the transaction's profiles: the
        // lock makes it wait for this insert, or this check see the session ended.
        if (p.transactionId !== null && !await db.first(`SELECT 1 FROM sessions WHERE id = $1 AND charge_point_id = $2 AND status = 'active' FOR SHARE`, [p.transactionId, p.chargePointId])) return false;
        await db.query(
          `DELETE FROM charging_profiles WHERE charge_point_id = $1
           AND (charging_profile_id = $2 OR (connector_id = $3 AND purpose = $4 AND stack_level = $5))`,
          [p.chargePointId, p.chargingProfileId, p.connectorId, p.purpose, p.stackLevel],
        );
        await db.query(
          `INSERT INTO charging_profiles (charge_point_id, charging_profile_id, connector_id, purpose, stack_level, transaction_id, profile, requested_by, installed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [p.chargePointId, p.chargingProfileId, p.connectorId, p.purpose, p.stackLevel, p.transactionId, JSON.stringify(p.profile), p.requestedBy, p.installedAt],
        );
        return true;
      }),
    async list(chargePointId) {
      const rows = await db.rows<ChargingProfileRow>(
        'SELECT * FROM charging_profiles WHERE charge_point_id = $1 ORDER BY connector_id, purpose, stack_level, charging_profile_id',
        [chargePointId],
      );
      return rows.map(toInstalledProfile);
    },
    async clear(chargePointId, filter) {
      const params = new Params();
      const cp = params.add(chargePointId);
      const where = clearCondition(filter, (v) => params.add(v));
      return (await db.query(`DELETE FROM charging_profiles WHERE charge_point_id = ${cp} AND ${where}`, params.values)).rowCount ?? 0;
    },
    async removeForTransaction(chargePointId, transactionId) {
      return (await db.query(`DELETE FROM charging_profiles WHERE charge_point_id = $1 AND transaction_id = $2 AND purpose = 'TxProfile'`, [chargePointId, transactionId])).rowCount ?? 0;
    },
    async recordUnconfirmed(chargePointId, status, at) {
      await db.query(
        `INSERT INTO charging_profile_unconfirmed AS u (charge_point_id, count, last_status, last_at) VALUES ($1, 1, $2, $3)
         ON CONFLICT (charge_point_id) DO UPDATE SET count = u.count + 1, last_status = excluded.last_status, last_at = excluded.last_at`,
        [chargePointId, status, at],
      );
    },
    async unconfirmed(chargePointId) {
      return toUnconfirmed(await db.first<UnconfirmedRow>('SELECT count, last_status, last_at FROM charging_profile_unconfirmed WHERE charge_point_id = $1', [chargePointId]));
    },
  };
}
