/** The charging profiles chargers accepted, and how many each did not confirm. */
import type { ChargingProfileRepo } from '../../domain/ports.ts';
import { clearCondition, toInstalledProfile, toUnconfirmed, type ChargingProfileRow, type UnconfirmedRow } from '../rows/charging-profiles.ts';
import type { Sync } from './sync.ts';
import type { RepoContext } from './sql-helpers.ts';

/** The SQLite ChargingProfileRepo. */
export function createChargingProfileRepo({ db, tx }: RepoContext): Sync<ChargingProfileRepo> {
  const replaced = db.prepare<[string, number, number, string, number]>(
    `DELETE FROM charging_profiles WHERE charge_point_id = ?
     AND (charging_profile_id = ? OR (connector_id = ? AND purpose = ? AND stack_level = ?))`,
  );
  const insert = db.prepare(
    `INSERT INTO charging_profiles (charge_point_id, charging_profile_id, connector_id, purpose, stack_level, transaction_id, profile, requested_by, installed_at)
     VALUES (@chargePointId, @chargingProfileId, @connectorId, @purpose, @stackLevel, @transactionId, @profile, @requestedBy, @installedAt)`,
  );
  const running = db.prepare<[number, string]>(`SELECT 1 FROM sessions WHERE id = ? AND charge_point_id = ? AND status = 'active'`);
  const list = db.prepare<[string], ChargingProfileRow>(
    'SELECT * FROM charging_profiles WHERE charge_point_id = ? ORDER BY connector_id, purpose, stack_level, charging_profile_id',
  );
  const removeTx = db.prepare<[string, number]>(`DELETE FROM charging_profiles WHERE charge_point_id = ? AND transaction_id = ? AND purpose = 'TxProfile'`);
  const countUnconfirmed = db.prepare<[string, string, string]>(
    `INSERT INTO charging_profile_unconfirmed (charge_point_id, count, last_status, last_at) VALUES (?, 1, ?, ?)
     ON CONFLICT (charge_point_id) DO UPDATE SET count = count + 1, last_status = excluded.last_status, last_at = excluded.last_at`,
  );
  const unconfirmed = db.prepare<[string], UnconfirmedRow>('SELECT count, last_status, last_at FROM charging_profile_unconfirmed WHERE charge_point_id = ?');

  return {
    install(p) {
      return tx(() => {
        if (p.transactionId !== null && running.get(p.transactionId, p.chargePointId) === undefined) return false;
        replaced.run(p.chargePointId, p.chargingProfileId, p.connectorId, p.purpose, p.stackLevel);
        insert.run({ ...p, profile: JSON.stringify(p.profile) });
        return true;
      });
    },
    list(chargePointId) {
      return list.all(chargePointId).map(toInstalledProfile);
    },
    clear(chargePointId, filter) {
      const values: unknown[] = [chargePointId];
      const where = clearCondition(filter, (v) => {
        values.push(v);
        return '?';
      });
      return db.prepare(`DELETE FROM charging_profiles WHERE charge_point_id = ? AND ${where}`).run(...values).changes;
    },
    removeForTransaction(chargePointId, transactionId) {
      return removeTx.run(chargePointId, transactionId).changes;
    },
    recordUnconfirmed(chargePointId, status, at) {
      countUnconfirmed.run(chargePointId, status, at);
    },
    unconfirmed(chargePointId) {
      return toUnconfirmed(unconfirmed.get(chargePointId));
    },
  };
}
