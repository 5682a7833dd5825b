/** Charging sessions (id = OCPP transactionId) and the meter samples recorded for them. */
import type { NewSession, Page, SessionFilter, SessionRepo } from '../../domain/ports.ts';
import type { MeterSample } from '../../domain/types.ts';
import { toSession, type SessionRow as Row } from '../rows/sessions.ts';
import { pageValues, Params, type PgContext } from './context.ts';

/** PostgreSQL returns boolean columns as true/false. */
type SessionRow = Row<boolean>;

/** WHERE clause for a session filter; `from`/`to` bound started_at as [from, to). */
function where(filter: SessionFilter, p: Params): string {
  const clauses: string[] = [];
  if (filter.customerId !== undefined) clauses.push(`customer_id = ${p.add(filter.customerId)}`);
  if (filter.chargePointId !== undefined) clauses.push(`charge_point_id = ${p.add(filter.chargePointId)}`);
  if (filter.status !== undefined) clauses.push(`status = ${p.add(filter.status)}`);
  if (filter.from !== undefined) clauses.push(`started_at >= ${p.add(filter.from)}`);
  if (filter.to !== undefined) clauses.push(`started_at < ${p.add(filter.to)}`);
  if (filter.silentSince !== undefined) {
    // Silent: no MeterValues of the session and no message at all from its charger since then.
    const since = p.add(filter.silentSince);
    clauses.push(`status = 'active' AND COALESCE(last_report_at, created_at) < ${since}
      AND COALESCE((SELECT last_seen_at FROM charge_points WHERE id = sessions.charge_point_id), '') < ${since}`);
  }
  return clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
}

/**
 * The PostgreSQL SessionRepo. Progress updates only touch active sessions, so a MeterValues that
 * arrives after StopTransaction cannot rewrite a finished bill.
 */
export function createSessionRepo({ db }: PgContext): SessionRepo {
  const many = async (q: Parameters<typeof db.rows>[0], values?: unknown[]) => (await db.rows<SessionRow>(q, values)).map(toSession);
  const one = async (q: Parameters<typeof db.rows>[0], values?: unknown[]) => {
    const row = await db.first<SessionRow>(q, values);
    return row ? toSession(row) : null;
  };

  return {
    async start(input: NewSession) {
      // Only the start key is forgiven (a retried StartTransaction); any other failure is loud.
      const created = await db.first<SessionRow>({
        name: 'sessions_start',
        text: `INSERT INTO sessions (charge_point_id, connector_id, customer_id, id_tag, tariff_id, status,
                 meter_start, meter_last, meter_start_pending, currency, started_at, start_timestamp, start_meter, created_at, refusal, review,
                 tariff_name, price_per_kwh, price_per_minute, session_fee)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11, $7, $12, $13, $14, $15, $16, $17, $18)
               ON CONFLICT ON CONSTRAINT sessions_start_key DO NOTHING RETURNING *`,
        values: [
          input.chargePointId, input.connectorId, input.customerId, input.idTag, input.tariff?.id ?? null,
          input.refusal === null ? 'active' : 'refused', input.meterStart, input.meterStartPending, input.currency, input.startedAt,
          input.startTimestamp, input.createdAt, input.refusal, input.review, input.tariff?.name ?? null,
          input.tariff?.pricePerKwh ?? null, input.tariff?.pricePerMinute ?? null, input.tariff?.sessionFee ?? null,
        ],
      });
      if (created) return { session: toSession(created), created: true };
      // READ COMMITTED: this statement sees the row the conflicting (now committed) insert made.
      const existing = await db.first<SessionRow>({
        name: 'sessions_by_start_key',
        text: `SELECT * FROM sessions WHERE charge_point_id = $1 AND connector_id = $2 AND id_tag = $3
               AND start_timestamp = $4 AND start_meter = $5`,
        values: [input.chargePointId, input.connectorId, input.idTag, input.startTimestamp, input.meterStart],
      });
      return { session: toSession(existing!), created: false };
    },
    get: (id) => one({ name: 'sessions_get', text: 'SELECT * FROM sessions WHERE id = $1', values: [id] }),
    activeOnConnector: (chargePointId, connectorId) =>
      one({
        name: 'sessions_active_on_connector',
        text: `SELECT * FROM sessions WHERE charge_point_id = $1 AND connector_id = $2 AND status = 'active' ORDER BY id DESC LIMIT 1`,
        values: [chargePointId, connectorId],
      }),
    activeForCustomer: (customerId) =>
      many({ name: 'sessions_active_for_customer', text: `SELECT * FROM sessions WHERE customer_id = $1 AND status = 'active' ORDER BY id`, values: [customerId] }),
    async activeElsewhere(customerId, idTag, chargePointId, connectorId) {
      const row = await db.first<{ customer: number; idTag: number }>({
        name: 'sessions_active_elsewhere',
        text: `SELECT COUNT(*) AS customer, COUNT(*) FILTER (WHERE lower(id_tag) = lower($1::text COLLATE "C")) AS "idTag" FROM sessions
               WHERE customer_id = $2 AND status = 'active' AND NOT (charge_point_id = $3 AND connector_id = $4)`,
        values: [idTag, customerId, chargePointId, connectorId],
      });
      return { customer: row!.customer, idTag: row!.idTag };
    },
    activeCreatedBefore: (chargePointId, before, connectorId) =>
      connectorId === undefined
        ? many(`SELECT * FROM sessions WHERE charge_point_id = $1 AND status = 'active' AND created_at < $2 ORDER BY id`, [chargePointId, before])
        : many(
          `SELECT * FROM sessions WHERE charge_point_id = $1 AND connector_id = $2 AND status = 'active' AND created_at < $3 ORDER BY id`,
          [chargePointId, connectorId, before],
        ),
    list(filter) {
      const p = new Params();
      const sql = where(filter, p);
      const [limit, offset] = pageValues(filter);
      return many(`SELECT * FROM sessions ${sql} ORDER BY id DESC LIMIT ${p.add(limit)} OFFSET ${p.add(offset)}`, p.values);
    },
    async count(filter) {
      const p = new Params();
      const sql = where(filter, p);
      return (await db.first<{ n: number }>(`SELECT COUNT(*) AS n FROM sessions ${sql}`, p.values))!.n;
    },
    async updateProgress(id, pr) {
      await db.query({
        name: 'sessions_update_progress',
        text: `UPDATE sessions SET meter_last = $2, energy_wh = $3, power_w = $4, cost_minor = $5, last_meter_at = $6,
                 last_report_at = COALESCE($7::text, last_report_at), meter_start = COALESCE($8::bigint, meter_start),
                 meter_start_pending = CASE WHEN $8::bigint IS NULL THEN meter_start_pending ELSE false END
               WHERE id = $1 AND status = 'active'`,
        values: [id, pr.meterLast, pr.energyWh, pr.powerW, pr.costMinor, pr.lastMeterAt, pr.lastReportAt ?? null, pr.meterStart ?? null],
      });
    },
    async complete(id, pr) {
      const result = await db.query({
        name: 'sessions_complete',
        text: `UPDATE sessions SET status = 'completed', meter_stop = $2, meter_last = $2, energy_wh = $3, power_w = 0, cost_minor = $4,
                 stopped_at = $5, stop_reason = $6, closed_by = $7, close_note = $8
               WHERE id = $1 AND status = 'active'`,
        values: [id, pr.meterStop, pr.energyWh, pr.costMinor, pr.stoppedAt, pr.reason, pr.closedBy ?? 'charger', pr.closeNote ?? null],
      });
      return (result.rowCount ?? 0) > 0;
    },
    async reconcile(id, pr) {
      await db.query(
        `UPDATE sessions SET meter_stop = $2, meter_last = $2, energy_wh = $3, cost_minor = $4, stopped_at = $5 WHERE id = $1 AND status = 'completed'`,
        [id, pr.meterStop, pr.energyWh, pr.costMinor, pr.stoppedAt],
      );
    },
    async fillStopReason(id, reason) {
      await db.query('UPDATE sessions SET stop_reason = $1 WHERE id = $2 AND stop_reason IS NULL', [reason, id]);
    },
    async flag(id, review) {
      await db.query(`UPDATE sessions SET review = CASE WHEN review IS NULL THEN $1 ELSE review || '; ' || $1 END WHERE id = $2`, [review, id]);
    },
    async addMeterSamples(sessionId, chargePointId, connectorId, list: MeterSample[]) {
      if (list.length === 0) return;
      // One statement for any number of samples: the columns travel as arrays.
      await db.query({
        name: 'sessions_add_meter_samples',
        text: `INSERT INTO meter_values (session_id, charge_point_id, connector_id, timestamp, measurand, value, unit, phase, context)
               SELECT $1, $2, $3, s.* FROM unnest($4::text[], $5::text[], $6::float8[], $7::text[], $8::text[], $9::text[]) AS s`,
        values: [
          sessionId, chargePointId, connectorId,
          list.map((s) => s.timestamp), list.map((s) => s.measurand), list.map((s) => s.value),
          list.map((s) => s.unit), list.map((s) => s.phase), list.map((s) => s.context),
        ],
      });
    },
    async recordReading(id, chargePointId, connectorId, list, pr) {
      // The hot path of MeterValues: the samples and the progress in one statement. A data-modifying
      // CTE runs to completion whether or not the UPDATE reads it, so the samples are kept even when
      // the session is no longer active (as addMeterSamples would).
      await db.query({
        name: 'sessions_record_reading',
        text: `WITH added AS (
                 INSERT INTO meter_values (session_id, charge_point_id, connector_id, timestamp, measurand, value, unit, phase, context)
                 SELECT $1, $9, $10, s.* FROM unnest($11::text[], $12::text[], $13::float8[], $14::text[], $15::text[], $16::text[]) AS s)
               UPDATE sessions SET meter_last = $2, energy_wh = $3, power_w = $4, cost_minor = $5, last_meter_at = $6,
                 last_report_at = COALESCE($7::text, last_report_at), meter_start = COALESCE($8::bigint, meter_start),
                 meter_start_pending = CASE WHEN $8::bigint IS NULL THEN meter_start_pending ELSE false END
               WHERE id = $1 AND status = 'active'`,
        values: [
          id, pr.meterLast, pr.energyWh, pr.powerW, pr.costMinor, pr.lastMeterAt, pr.lastReportAt ?? null, pr.meterStart ?? null,
          chargePointId, connectorId,
          list.map((s) => s.timestamp), list.map((s) => s.measurand), list.map((s) => s.value),
          list.map((s) => s.unit), list.map((s) => s.phase), list.map((s) => s.context),
        ],
      });
    },
    async meterSamples(sessionId, page?: Page) {
      const [limit, offset] = pageValues(page);
      return db.rows<MeterSample>({
        name: 'sessions_meter_samples',
        text: `SELECT timestamp, measurand, value, unit, phase, context FROM meter_values
               WHERE session_id = $1 ORDER BY timestamp, id LIMIT $2 OFFSET $3`,
        values: [sessionId, limit, offset],
      });
    },
  };
}
