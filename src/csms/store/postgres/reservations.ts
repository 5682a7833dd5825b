/** Reservations: one active per connector and per customer, by the schema's partial unique indexes. */
import { CsmsError } from '../../domain/errors.ts';
import type { ReservationRepo } from '../../domain/ports.ts';
import { toReservation, type ReservationRow } from '../rows/reservations.ts';
import { pageValues, Params, type PgContext } from './context.ts';

/**
 * The PostgreSQL ReservationRepo. A booking that loses to another node's hits a unique index:
 * ON CONFLICT DO NOTHING keeps the caller's transaction usable, and the row that won says why.
 */
export function createReservationRepo({ db }: PgContext): ReservationRepo {
  const onConnector = (chargePointId: string, connectorId: number) =>
    db.first<ReservationRow>("SELECT * FROM reservations WHERE charge_point_id = $1 AND connector_id = $2 AND status = 'active'", [chargePointId, connectorId]);
  return {
    async create(r) {
      const row = await db.first<ReservationRow>(
        `INSERT INTO reservations (charge_point_id, connector_id, customer_id, id_tag, expires_at, status, fee_minor, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, $7) ON CONFLICT DO NOTHING RETURNING *`,
        [r.chargePointId, r.connectorId, r.customerId, r.idTag, r.expiresAt, r.feeMinor, r.createdAt],
      );
      if (row) return toReservation(row);
      const held = await onConnector(r.chargePointId, r.connectorId);
      if (held) throw new CsmsError('CSMS_ERR_CONNECTOR_RESERVED', `${r.chargePointId}/${r.connectorId}`, { reservationId: held.id, expiresAt: held.expires_at });
      const own = await db.first<ReservationRow>("SELECT * FROM reservations WHERE customer_id = $1 AND status = 'active'", [r.customerId]);
      throw new CsmsError('CSMS_ERR_RESERVATION_EXISTS', own ? `reservation ${own.id}` : undefined, own ? { reservationId: own.id } : undefined);
    },
    async get(id) {
      const row = await db.first<ReservationRow>('SELECT * FROM reservations WHERE id = $1', [id]);
      return row ? toReservation(row) : null;
    },
    async activeOnConnector(chargePointId, connectorId) {
      const row = await onConnector(chargePointId, connectorId);
      return row ? toReservation(row) : null;
    },
    async list(filter) {
      const p = new Params();
      const where: string[] = [];
      if (filter.customerId !== undefined) where.push(`customer_id = ${p.add(filter.customerId)}`);
      if (filter.chargePointId !== undefined) where.push(`charge_point_id = ${p.add(filter.chargePointId)}`);
      if (filter.status !== undefined) where.push(`status = ${p.add(filter.status)}`);
      const [limit, offset] = pageValues(filter);
      const sql = `SELECT * FROM reservations ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${p.add(limit)} OFFSET ${p.add(offset)}`;
      return (await db.rows<ReservationRow>(sql, p.values)).map(toReservation);
    },
    async finish(id, status, at, extra = {}) {
      const row = await db.first<ReservationRow>(
        `UPDATE reservations SET status = $1, updated_at = $2, note = COALESCE($3, note), session_id = COALESCE($4, session_id)
         WHERE id = $5 AND status = 'active' RETURNING *`,
        [status, at, extra.note ?? null, extra.sessionId ?? null, id],
      );
      return row ? toReservation(row) : null;
    },
    async due(at, limit) {
      return (await db.rows<ReservationRow>("SELECT * FROM reservations WHERE status = 'active' AND expires_at <= $1 ORDER BY expires_at, id LIMIT $2", [at, limit])).map(toReservation);
    },
  };
}
