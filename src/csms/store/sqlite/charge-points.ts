/** Charge points (keyed by their OCPP identity) and their connectors. */
import { CsmsError } from '../../domain/errors.ts';
import type { BootInfo, ChargePointInput, ChargePointRepo } from '../../domain/ports.ts';
import type { Sync } from './sync.ts';
import { toChargePoint, toConnector, type ChargePointRow as Row, type ConnectorRow } from '../rows/charge-points.ts';
import { constraintFailure, createStatementCache, pageParams, toBit, type RepoContext } from './sql-helpers.ts';

/** SQLite returns boolean columns as 0/1. */
type ChargePointRow = Row<0 | 1>;

/** A missing station or tariff shows up as a foreign-key failure; name the culprit instead. */
function rethrowReference(err: unknown, input: { stationId?: number | null; tariffId?: number | null }): never {
  if (constraintFailure(err)?.kind === 'foreignkey') {
    throw new CsmsError('CSMS_ERR_NOT_FOUND', `station ${input.stationId ?? '-'} or tariff ${input.tariffId ?? '-'} does not exist`);
  }
  throw err;
}

/**
 * The SQLite ChargePointRepo. New connectors start as status "Unknown" / "NoError" until the
 * charger's first StatusNotification. Deleting a charge point with an active session throws
 * CSMS_ERR_IN_USE; its connectors go with it, its history (sessions, messages) stays.
 */
export function createChargePointRepo({ db, now, tx }: RepoContext): Sync<ChargePointRepo> {
  const cached = createStatementCache(db);
  const insert = db.prepare(
    `INSERT INTO charge_points (id, station_id, tariff_id, registration_status, lenient, auth_key_hash, priority, created_at, updated_at)
     VALUES (@id, @stationId, @tariffId, @registrationStatus, @lenient, @authKeyHash, @priority, @at, @at)`,
  );
  const byId = db.prepare<[string], ChargePointRow>('SELECT * FROM charge_points WHERE id = ?');
  const update = db.prepare(
    `UPDATE charge_points SET station_id = @stationId, tariff_id = @tariffId, registration_status = @registrationStatus,
     lenient = @lenient, auth_key_hash = @authKeyHash, priority = @priority, updated_at = @at WHERE id = @id`,
  );
  const remove = db.prepare<[string]>('DELETE FROM charge_points WHERE id = ?');
  const activeSessions = db.prepare<[string], { n: number }>(
    `SELECT COUNT(*) AS n FROM sessions WHERE charge_point_id = ? AND status = 'active'`,
  );
  const authKeyHash = db.prepare<[string], { h: string | null }>('SELECT auth_key_hash AS h FROM charge_points WHERE id = ?');
  const recordBoot = db.prepare(
    `UPDATE charge_points SET vendor = @vendor, model = @model, serial_number = @serialNumber,
     firmware_version = @firmwareVersion, registration_status = @status, last_boot_at = @at, last_seen_at = @at,
     updated_at = @at WHERE id = @id`,
  );
  const setOnline = db.prepare<[0 | 1, string, string]>('UPDATE charge_points SET online = ?, last_seen_at = ? WHERE id = ?');
  const setAllOffline = db.prepare('UPDATE charge_points SET online = 0 WHERE online = 1');
  const touch = db.prepare<[string, string]>('UPDATE charge_points SET last_seen_at = ? WHERE id = ?');
  const setNode = db.prepare<[string, number, string, number]>('UPDATE charge_points SET node_id = ?, node_since = ? WHERE id = ? AND (node_since IS NULL OR node_since <= ?)');
  const clearNode = db.prepare<[string, string]>('UPDATE charge_points SET node_id = NULL WHERE id = ? AND node_id = ?');
  const nodeOf = db.prepare<[string], { node_id: string | null }>('SELECT node_id FROM charge_points WHERE id = ?');
  const stationOnline = db.prepare<[number], { online: number }>('SELECT EXISTS (SELECT 1 FROM charge_points WHERE station_id = ? AND online = 1) AS online');
  const connectors = db.prepare<[string], ConnectorRow>(
    'SELECT * FROM connectors WHERE charge_point_id = ? ORDER BY connector_id',
  );
  const addConnector = db.prepare<[string, number, string]>(
    `INSERT INTO connectors (charge_point_id, connector_id, status, error_code, info, updated_at)
     VALUES (?, ?, 'Unknown', 'NoError', NULL, ?) ON CONFLICT DO NOTHING`,
  );
  const upsertConnector = db.prepare(
    `INSERT INTO connectors (charge_point_id, connector_id, status, error_code, info, updated_at)
     VALUES (@chargePointId, @connectorId, @status, @errorCode, @info, @at)
     ON CONFLICT (charge_point_id, connector_id) DO UPDATE SET
       status = excluded.status, error_code = excluded.error_code, info = excluded.info, updated_at = excluded.updated_at`,
  );

  function addConnectors(id: string, count: number | undefined, at: string): void {
    for (let c = 1; c <= (count ?? 0); c++) addConnector.run(id, c, at);
  }

  return {
    create(input: ChargePointInput) {
      return tx(() => {
        const at = now();
        try {
          insert.run({
            id: input.id,
            stationId: input.stationId ?? null,
            tariffId: input.tariffId ?? null,
            registrationStatus: input.registrationStatus ?? 'Unknown',
            lenient: toBit(input.lenient),
            authKeyHash: input.authKeyHash ?? null,
            priority: input.priority ?? 0,
            at,
          });
        } catch (err) {
          if (constraintFailure(err)?.kind === 'primarykey') {
            throw new CsmsError('CSMS_ERR_CONFLICT', `charge point ${input.id} already exists`);
          }
          rethrowReference(err, input);
        }
        addConnectors(input.id, input.connectors, at);
        return toChargePoint(byId.get(input.id)!);
      });
    },
    get(id) {
      const row = byId.get(id);
      return row ? toChargePoint(row) : null;
    },
    count(filter = {}) {
      const where = filter.stationId !== undefined ? 'WHERE station_id = @stationId' : '';
      return cached(`SELECT COUNT(*) AS total, COALESCE(SUM(online), 0) AS online FROM charge_points ${where}`).get(
        filter.stationId !== undefined ? { stationId: filter.stationId } : {},
      ) as { total: number; online: number };
    },
    list(filter = {}) {
      const where = filter.stationId !== undefined ? 'WHERE station_id = @stationId' : '';
      const rows = cached(`SELECT * FROM charge_points ${where} ORDER BY id LIMIT @limit OFFSET @offset`).all({
        ...(filter.stationId !== undefined ? { stationId: filter.stationId } : {}),
        ...pageParams(filter),
      }) as ChargePointRow[];
      return rows.map(toChargePoint);
    },
    update(id, patch) {
      return tx(() => {
        const row = byId.get(id);
        if (!row) return null;
        const at = now();
        const next = {
          id,
          stationId: patch.stationId !== undefined ? patch.stationId : row.station_id,
          tariffId: patch.tariffId !== undefined ? patch.tariffId : row.tariff_id,
          registrationStatus: patch.registrationStatus ?? row.registration_status,
          lenient: patch.lenient !== undefined ? toBit(patch.lenient) : row.lenient,
          authKeyHash: patch.authKeyHash !== undefined ? patch.authKeyHash : row.auth_key_hash,
          priority: patch.priority ?? row.priority,
          at,
        };
        try {
          update.run(next);
        } catch (err) {
          rethrowReference(err, next);
        }
        addConnectors(id, patch.connectors, at);
        return toChargePoint(byId.get(id)!);
      });
    },
    delete(id) {
      return tx(() => {
        if (activeSessions.get(id)!.n > 0) {
          throw new CsmsError('CSMS_ERR_IN_USE', `charge point ${id} has an active charging session`);
        }
        return remove.run(id).changes > 0;
      });
    },
    authKeyHash(id) {
      return authKeyHash.get(id)?.h ?? null;
    },
    recordBoot(id, info: BootInfo, status, at) {
      recordBoot.run({
        id,
        vendor: info.vendor,
        model: info.model,
        serialNumber: info.serialNumber,
        firmwareVersion: info.firmwareVersion,
        status,
        at,
      });
    },
    setOnline(id, online, at) {
      setOnline.run(toBit(online), at, id);
    },
    setAllOffline() {
      setAllOffline.run();
    },
    touch(id, at) {
      touch.run(at, id);
    },
    setNode(id, nodeId, connectedAtMs) {
      setNode.run(nodeId, connectedAtMs, id, connectedAtMs);
    },
    clearNode(id, nodeId) {
      clearNode.run(id, nodeId);
    },
    nodeOf(id) {
      return nodeOf.get(id)?.node_id ?? null;
    },
    stationOnline(stationId) {
      return stationOnline.get(stationId)!.online === 1;
    },
    connectors(id) {
      return connectors.all(id).map(toConnector);
    },
    upsertConnector(c, at) {
      try {
        upsertConnector.run({
          chargePointId: c.chargePointId,
          connectorId: c.connectorId,
          status: c.status,
          errorCode: c.errorCode,
          info: c.info,
          at,
        });
      } catch (err) {
        if (constraintFailure(err)?.kind === 'foreignkey') {
          throw new CsmsError('CSMS_ERR_CHARGER_NOT_FOUND', c.chargePointId);
        }
        throw err;
      }
    },
  };
}
