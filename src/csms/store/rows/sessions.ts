/**
 * The sessions row and its domain object, shared by the SQLite and the PostgreSQL adapter. A
 * session keeps the tariff it started with (name and prices copied into its row), so a later
 * change of the tariff does not rewrite its bill.
 */
import type { ClosedBy, Session, SessionStatus } from '../../domain/types.ts';
import type { Flag } from './charge-points.ts';

/** The columns toSession reads (SELECT * returns a few more, e.g. the start key's). */
export interface SessionRow<B extends Flag = Flag> {
  id: number;
  charge_point_id: string;
  connector_id: number;
  customer_id: number | null;
  id_tag: string;
  tariff_id: number | null;
  status: SessionStatus;
  meter_start: number;
  meter_last: number;
  meter_stop: number | null;
  energy_wh: number;
  power_w: number;
  cost_minor: number;
  currency: string;
  started_at: string;
  stopped_at: string | null;
  last_meter_at: string | null;
  stop_reason: string | null;
  created_at: string;
  last_report_at: string | null;
  meter_start_pending: B;
  closed_by: ClosedBy | null;
  close_note: string | null;
  refusal: string | null;
  review: string | null;
  tariff_name: string | null;
  price_per_kwh: number | null;
  price_per_minute: number | null;
  session_fee: number | null;
}

export function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    chargePointId: row.charge_point_id,
    connectorId: row.connector_id,
    customerId: row.customer_id,
    idTag: row.id_tag,
    tariffId: row.tariff_id,
    tariff: row.tariff_name === null ? null : {
      id: row.tariff_id,
      name: row.tariff_name,
      currency: row.currency,
      pricePerKwh: row.price_per_kwh ?? 0,
      pricePerMinute: row.price_per_minute ?? 0,
      sessionFee: row.session_fee ?? 0,
    },
    status: row.status,
    meterStart: row.meter_start,
    meterLast: row.meter_last,
    meterStop: row.meter_stop,
    energyWh: row.energy_wh,
    powerW: row.power_w,
    costMinor: row.cost_minor,
    currency: row.currency,
    startedAt: row.started_at,
    stoppedAt: row.stopped_at,
    lastMeterAt: row.last_meter_at,
    stopReason: row.stop_reason,
    createdAt: row.created_at,
    lastReportAt: row.last_report_at,
    closedBy: row.closed_by,
    closeNote: row.close_note,
    refusal: row.refusal,
    review: row.review,
    meterStartPending: Boolean(row.meter_start_pending),
  };
}
