/** Reservations: one active per connector and per customer, by the schema's partial unique indexes. */
import { CsmsError } from '../../domain/errors.ts';
import type { ReservationRepo } from '../../domain/ports.ts';
import type { ReservationStatus } from '../../domain/types.ts';
import { toReservation, type ReservationRow } from '../rows/reservations.ts';
import { createStatementCache, pageParams, type RepoContext } from './sql-helpers.ts';
import type { Sync } from './sync.ts';

/** The SQLite ReservationRepo. Ending one is a conditional UPDATE: exactly one caller ends it. */
export function createReservationRepo({ db }: RepoContext): Sync<ReservationRepo> {
  // DO NOTHING on either unique index: the caller learns which one from the row that holds it.
  const insert = db.prepare<[string, number, number, string, string, number, string, string], ReservationRow>(
    `INSERT INTO reservations (charge_point_id, connector_id, customer_id, id_tag, expires_at, status, fee_minor, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 'active', ?, ?, ?) ON CONFLICT DO NOTHING RETURNING *`,
  );
  const byId = db.prepare<[number], ReservationRow>('SELECT * FROM reservations WHERE id = ?');
  const onConnector = db.prepare<[string, number], ReservationRow>(
    "SELECT * FROM reservations WHERE charge_point_id = ? AND connector_id = ? AND status = 'active'",
  );
  const ofCustomer = db.prepare<[number], ReservationRow>("SELECT * FROM reservations WHERE customer_id = ? AND status = 'active'");
  const finish = db.prepare<[ReservationStatus, string, string | null, number | null, number], ReservationRow>(
    `UPDATE reservations SET status = ?, updated_at = ?, note = COALESCE(?, note), session_id = COALESCE(?, session_id)
     WHERE id = ? AND status = 'active' RETURNING *`,
  );
  const due = db.prepare<[string, number], ReservationRow>(
    "SELECT * FROM reservations WHERE status = 'active' AND expires_at <= ? ORDER BY expires_at, id LIMIT ?",
  );
  const statement = createStatementCache(db);

  return {
    create(r) {
      const row = insert.get(r.chargePointId, r.connectorId, r.customerId, r.idTag, r.expiresAt, r.feeMinor, r.createdAt, r.createdAt);
      if (row) return toReservation(row);
      const held = onConnector.get(r.chargePointId, r.connectorId);
      if (held) throw new CsmsError('CSMS_ERR_CONNECTOR_RESERVED', `${r.chargePointId}/${r.connectorId}`, { reservationId: held.id, expiresAt: held.expires_at });
      const own = ofCustomer.get(r.customerId);
      throw new CsmsError('CSMS_ERR_RESERVATION_EXISTS', own ? `reservation ${own.id}` : undefined, own ? { reservationId: own.id } : undefined);
    },
    get(id) {
      const row = byId.get(id);
      return row ? toReservation(row) : null;
    },
    activeOnConnector(chargePointId, connectorId) {
      const row = onConnector.get(chargePointId, connectorId);
      return row ? toReservation(row) : null;
    },
    list(filter) {
      const conditions: [string, unknown][] = [['customer_id', filter.customerId], ['charge_point_id', filter.chargePointId], ['status', filter.status]];
      const set = conditions.filter(([, v]) => v !== undefined);
      const where = set.map(([column]) => `${column} = ?`);
      const values = set.map(([, v]) => v);
      const { limit, offset } = pageParams(filter);
      const sql = `SELECT * FROM reservations ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ? OFFSET ?`;
      return (statement(sql).all(...values, limit, offset) as ReservationRow[]).map(toReservation);
    },
    finish(id, status, at, extra = {}) {
      const row = finish.get(status, at, extra.note ?? null, extra.sessionId ?? null, id);
      return row ? toReservation(row) : null;
    },
    due(at, limit) {
      return due.all(at, limit).map(toReservation);
    },
  };
}
