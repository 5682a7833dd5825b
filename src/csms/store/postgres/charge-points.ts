/** Charge points (keyed by their OCPP identity) and their connectors. */
import { CsmsError } from '../../domain/errors.ts';
import type { BootInfo, ChargePointInput, ChargePointRepo } from '../../domain/ports.ts';
import { toChargePoint, toConnector, type ChargePointRow as Row, type ConnectorRow } from '../rows/charge-points.ts';
import { pageValues, type PgContext } from './context.ts';
import { FOREIGN_KEY_VIOLATION, pgFailure } from './db.ts';

/** PostgreSQL returns boolean columns as true/false. */
type ChargePointRow = Row<boolean>;

/** A missing station or tariff shows up as a foreign-key failure; name the culprit instead. */
function rethrowReference(err: unknown, input: { stationId?: number | null; tariffId?: number | null }): never {
  if (pgFailure(err)?.code === FOREIGN_KEY_VIOLATION) {
    throw new CsmsError('CSMS_ERR_NOT_FOUND', `station ${input.stationId ?? '-'} or tariff ${input.tariffId ?? '-'} does not exist`);
  }
  throw err;
}

const CP_COLUMNS = `id, station_id, tariff_id, vendor, model, serial_number, firmware_version, registration_status, lenient,
  auth_key_hash, online, last_seen_at, last_boot_at, priority, created_at, updated_at`;

/**
 * The PostgreSQL ChargePointRepo. New connectors start as status "Unknown" / "NoError" until the
 * charger's first StatusNotification. Deleting a charge point with an active session throws
 * CSMS_ERR_IN_USE; its connectors go with it, its history (sessions, messages) stays.
 */
export function createChargePointRepo({ db, now }: PgContext): ChargePointRepo {
  const byId = (id: string) =>
    db.first<ChargePointRow>({ name: 'cp_get', text: `SELECT ${CP_COLUMNS} FROM charge_points WHERE id = $1`, values: [id] });
  const lockById = (id: string) => db.first<ChargePointRow>(`SELECT ${CP_COLUMNS} FROM charge_points WHERE id = $1 FOR UPDATE`, [id]);

  async function addConnectors(id: string, count: number | undefined, at: string): Promise<void> {
    if (!count || count < 1) return;
    await db.query(
      `INSERT INTO connectors (charge_point_id, connector_id, status, error_code, info, updated_at)
       SELECT $1, c, 'Unknown', 'NoError', NULL, $3 FROM generate_series(1, $2::int) AS c ON CONFLICT DO NOTHING`,
      [id, count, at],
    );
  }

  return {
    create: (input: ChargePointInput) =>
      db.transaction(async () => {
        const at = now();
        let inserted: { id: string } | undefined;
        try {
          inserted = await db.first<{ id: string }>(
            `INSERT INTO charge_points (id, station_id, tariff_id, registration_status, lenient, auth_key_hash, priority, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (id) DO NOTHING RETURNING id`,
            [input.id, input.stationId ?? null, input.tariffId ?? null, input.registrationStatus ?? 'Unknown', input.lenient ?? false, input.authKeyHash ?? null, input.priority ?? 0, at],
          );
        } catch (err) {
          rethrowReference(err, input);
        }
        if (!inserted) throw new CsmsError('CSMS_ERR_CONFLICT', `charge point ${input.id} already exists`);
        await addConnectors(input.id, input.connectors, at);
        return toChargePoint((await byId(input.id))!);
      }),
    async get(id) {
      const row = await byId(id);
      return row ? toChargePoint(row) : null;
    },
    async count(filter = {}) {
      const where = filter.stationId !== undefined ? 'WHERE station_id = $1' : '';
      return (await db.first<{ total: number; online: number }>(
        `SELECT COUNT(*) AS total, COUNT(*) FILTER (WHERE online) AS online FROM charge_points ${where}`,
        filter.stationId !== undefined ? [filter.stationId] : [],
      ))!;
    },
    async list(filter = {}) {
      const [limit, offset] = pageValues(filter);
      const rows = filter.stationId !== undefined
        ? await db.rows<ChargePointRow>(`SELECT ${CP_COLUMNS} FROM charge_points WHERE station_id = $1 ORDER BY id LIMIT $2 OFFSET $3`, [filter.stationId, limit, offset])
        : await db.rows<ChargePointRow>(`SELECT ${CP_COLUMNS} FROM charge_points ORDER BY id LIMIT $1 OFFSET $2`, [limit, offset]);
      return rows.map(toChargePoint);
    },
    update: (id, patch) =>
      db.transaction(async () => {
        const row = await lockById(id);
        if (!row) return null;
        const at = now();
        const next = {
          stationId: patch.stationId !== undefined ? patch.stationId : row.station_id,
          tariffId: patch.tariffId !== undefined ? patch.tariffId : row.tariff_id,
        };
        try {
          await db.query(
            `UPDATE charge_points SET station_id = $1, tariff_id = $2, registration_status = $3, lenient = $4, auth_key_hash = $5,
             priority = $8, updated_at = $6 WHERE id = $7`,
            [
              next.stationId,
              next.tariffId,
              patch.registrationStatus ?? row.registration_status,
              patch.lenient ?? row.lenient,
              patch.authKeyHash !== undefined ? patch.authKeyHash : row.auth_key_hash,
              at,
              id,
              patch.priority ?? row.priority,
            ],
          );
        } catch (err) {
          rethrowReference(err, next);
        }
        await addConnectors(id, patch.connectors, at);
        return toChargePoint((await byId(id))!);
      }),
    delete: (id) =>
      db.transaction(async () => {
        const active = await db.first<{ n: number }>(`SELECT COUNT(*) AS n FROM sessions WHERE charge_point_id = $1 AND status = 'active'`, [id]);
        if (active!.n > 0) throw new CsmsError('CSMS_ERR_IN_USE', `charge point ${id} has an active charging session`);
        return ((await db.query('DELETE FROM charge_points WHERE id = $1', [id])).rowCount ?? 0) > 0;
      }),
    async authKeyHash(id) {
      return (await db.first<{ h: string | null }>({ name: 'cp_auth_key', text: 'SELECT auth_key_hash AS h FROM charge_points WHERE id = $1', values: [id] }))?.h ?? null;
    },
    async recordBoot(id, info: BootInfo, status, at) {
      await db.query(
        `UPDATE charge_points SET vendor = $1, model = $2, serial_number = $3, firmware_version = $4, registration_status = $5,
         last_boot_at = $6, last_seen_at = $6, updated_at = $6 WHERE id = $7`,
        [info.vendor, info.model, info.serialNumber, info.firmwareVersion, status, at, id],
      );
    },
    async setOnline(id, online, at) {
      await db.query({ name: 'cp_set_online', text: 'UPDATE charge_points SET online = $1, last_seen_at = $2 WHERE id = $3', values: [online, at, id] });
    },
    async setAllOffline() {
      await db.query('UPDATE charge_points SET online = false WHERE online');
    },
    async touch(id, at) {
      await db.query({ name: 'cp_touch', text: 'UPDATE charge_points SET last_seen_at = $1 WHERE id = $2', values: [at, id] });
    },
    async setNode(id, nodeId, connectedAtMs) {
      await db.query({
        name: 'cp_set_node',
        text: 'UPDATE charge_points SET node_id = $1, node_since = $2 WHERE id = $3 AND (node_since IS NULL OR node_since <= $2)',
        values: [nodeId, connectedAtMs, id],
      });
    },
    async clearNode(id, nodeId) {
      await db.query({ name: 'cp_clear_node', text: 'UPDATE charge_points SET node_id = NULL WHERE id = $1 AND node_id = $2', values: [id, nodeId] });
    },
    async nodeOf(id) {
      return (await db.first<{ node_id: string | null }>({ name: 'cp_node_of', text: 'SELECT node_id FROM charge_points WHERE id = $1', values: [id] }))?.node_id ?? null;
    },
    async stationOnline(stationId) {
      const row = await db.first<{ online: boolean }>('SELECT EXISTS (SELECT 1 FROM charge_points WHERE station_id = $1 AND online) AS online', [stationId]);
      return row!.online;
    },
    async connectors(id) {
      const rows = await db.rows<ConnectorRow>({ name: 'cp_connectors', text: 'SELECT * FROM connectors WHERE charge_point_id = $1 ORDER BY connector_id', values: [id] });
      return rows.map(toConnector);
    },
    async upsertConnector(c, at) {
      // INSERT … SELECT over the charge point: an unknown one inserts nothing (no foreign-key error,
      // which in PostgreSQL would abort the caller's whole transaction) and is reported instead.
      const result = await db.query({
        name: 'cp_upsert_connector',
        text: `INSERT INTO connectors (charge_point_id, connector_id, status, error_code, info, updated_at)
               SELECT id, $2, $3, $4, $5, $6 FROM charge_points WHERE id = $1
               ON CONFLICT (charge_point_id, connector_id) DO UPDATE SET
                 status = excluded.status, error_code = excluded.error_code, info = excluded.info, updated_at = excluded.updated_at`,
        values: [c.chargePointId, c.connectorId, c.status, c.errorCode, c.info, at],
      });
      if (result.rowCount === 0) throw new CsmsError('CSMS_ERR_CHARGER_NOT_FOUND', c.chargePointId);
    },
  };
}
