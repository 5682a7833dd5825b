/** Rows of the reservations table and their domain objects, shared by the SQLite and the PostgreSQL adapter. */
import type { Reservation, ReservationStatus } from '../../domain/types.ts';

export interface ReservationRow {
  id: number;
  charge_point_id: string;
  connector_id: number;
  customer_id: number;
  id_tag: string;
  expires_at: string;
  status: ReservationStatus;
  fee_minor: number;
  note: string | null;
  session_id: number | null;
  created_at: string;
  updated_at: string;
}

export function toReservation(row: ReservationRow): Reservation {
  return {
    id: row.id,
    chargePointId: row.charge_point_id,
    connectorId: row.connector_id,
    customerId: row.customer_id,
    idTag: row.id_tag,
    expiresAt: row.expires_at,
    status: row.status,
    feeMinor: row.fee_minor,
    note: row.note,
    sessionId: row.session_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
