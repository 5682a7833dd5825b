/** Charging sessions (id = OCPP transactionId) and the meter samples recorded for them. */
import type { NewSession, Page, SessionFilter, SessionRepo } from '../../domain/ports.ts';
import type { Sync } from './sync.ts';
import type { MeterSample } from '../../domain/types.ts';
import { toSession, type SessionRow as Row } from '../rows/sessions.ts';
import { createStatementCache, pageParams, type RepoContext } from './sql-helpers.ts';

/** SQLite returns boolean columns as 0/1. */
type SessionRow = Row<0 | 1>;

/** WHERE clause and parameters for a session filter; `from`/`to` bound started_at as [from, to). */
function where(filter: SessionFilter): { sql: string; params: Record<string, unknown> } {
  const clauses: string[] = [];
  const params: Record<string, unknown> = {};
  if (filter.customerId !== undefined) {
    clauses.push('customer_id = @customerId');
    params.customerId = filter.customerId;
  }
  if (filter.chargePointId !== undefined) {
    clauses.push('charge_point_id = @chargePointId');
    params.chargePointId = filter.chargePointId;
  }
  if (filter.status !== undefined) {
    clauses.push('status = @status');
    params.status = filter.status;
  }
  if (filter.from !== undefined) {
    clauses.push('started_at >= @from');
    params.from = filter.from;
  }
  if (filter.to !== undefined) {
    clauses.push('started_at < @to');
    params.to = filter.to;
  }
  if (filter.silentSince !== undefined) {
    // Silent: no MeterValues of the session and no message at all from its charger since then.
    clauses.push(`status = 'active' AND COALESCE(last_report_at, created_at) < @silentSince
      AND COALESCE((SELECT last_seen_at FROM charge_points WHERE id = sessions.charge_point_id), '') < @silentSince`);
    params.silentSince = filter.silentSince;
  }
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

/**
 * The SQLite SessionRepo. Progress updates only touch active sessions, so a MeterValues that
 * arrives after StopTransaction cannot rewrite a finished bill.
 */
export function createSessionRepo({ db, tx }: RepoContext): Sync<SessionRepo> {
  const cached = createStatementCache(db);
  // DO NOTHING (not OR IGNORE) so only the start key is forgiven, never a NOT NULL or CHECK failure.
  const insert = db.prepare(
    `INSERT INTO sessions (charge_point_id, connector_id, customer_id, id_tag, tariff_id, status,
       meter_start, meter_last, meter_start_pending, currency, started_at, start_timestamp, start_meter, created_at, refusal, review,
       tariff_name, price_per_kwh, price_per_minute, session_fee)
     VALUES (@chargePointId, @connectorId, @customerId, @idTag, @tariffId, @status,
       @meterStart, @meterStart, @meterStartPending, @currency, @startedAt, @startTimestamp, @meterStart, @createdAt, @refusal, @review,
       @tariffName, @pricePerKwh, @pricePerMinute, @sessionFee)
     ON CONFLICT DO NOTHING RETURNING *`,
  );
  const byStartKey = db.prepare(
    `SELECT * FROM sessions WHERE charge_point_id = @chargePointId AND connector_id = @connectorId
     AND id_tag = @idTag AND start_timestamp = @startTimestamp AND start_meter = @meterStart`,
  );
  const byId = db.prepare<[number], SessionRow>('SELECT * FROM sessions WHERE id = ?');
  const activeOnConnector = db.prepare<[string, number], SessionRow>(
    `SELECT * FROM sessions WHERE charge_point_id = ? AND connector_id = ? AND status = 'active'
     ORDER BY id DESC LIMIT 1`,
  );
  const activeForCustomer = db.prepare<[number], SessionRow>(
    `SELECT * FROM sessions WHERE customer_id = ? AND status = 'active' ORDER BY id`,
  );
  const activeElsewhere = db.prepare<[string, number, string, number], { customer: number; idTag: number }>(
    `SELECT COUNT(*) AS customer, COALESCE(SUM(id_tag = ? COLLATE NOCASE), 0) AS idTag FROM sessions
     WHERE customer_id = ? AND status = 'active' AND NOT (charge_point_id = ? AND connector_id = ?)`,
  );
  const activeOfPointBefore = db.prepare<[string, string], SessionRow>(
    `SELECT * FROM sessions WHERE charge_point_id = ? AND status = 'active' AND created_at < ? ORDER BY id`,
  );
  const activeOfConnectorBefore = db.prepare<[string, number, string], SessionRow>(
    `SELECT * FROM sessions WHERE charge_point_id = ? AND connector_id = ? AND status = 'active' AND created_at < ? ORDER BY id`,
  );
  const updateProgress = db.prepare(
    `UPDATE sessions SET meter_last = @meterLast, energy_wh = @energyWh, power_w = @powerW,
     cost_minor = @costMinor, last_meter_at = @lastMeterAt, last_report_at = COALESCE(@lastReportAt, last_report_at),
     meter_start = COALESCE(@meterStart, meter_start),
     meter_start_pending = CASE WHEN @meterStart IS NULL THEN meter_start_pending ELSE 0 END
     WHERE id = @id AND status = 'active'`,
  );
  const complete = db.prepare(
    `UPDATE sessions SET status = 'completed', meter_stop = @meterStop, meter_last = @meterStop,
     energy_wh = @energyWh, power_w = 0, cost_minor = @costMinor, stopped_at = @stoppedAt, stop_reason = @reason,
     closed_by = @closedBy, close_note = @closeNote
     WHERE id = @id AND status = 'active'`,
  );
  const reconcile = db.prepare(
    `UPDATE sessions SET meter_stop = @meterStop, meter_last = @meterStop, energy_wh = @energyWh,
     cost_minor = @costMinor, stopped_at = @stoppedAt WHERE id = @id AND status = 'completed'`,
  );
  const fillStopReason = db.prepare<[string, number]>('UPDATE sessions SET stop_reason = ? WHERE id = ? AND stop_reason IS NULL');
  const flag = db.prepare<[string, string, number]>(
    `UPDATE sessions SET review = CASE WHEN review IS NULL THEN ? ELSE review || '; ' || ? END WHERE id = ?`,
  );
  const insertSample = db.prepare<[number | null, string, number, string, string, number, string, string | null, string | null]>(
    `INSERT INTO meter_values (session_id, charge_point_id, connector_id, timestamp, measurand, value, unit, phase, context)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const samples = db.prepare<[number, number, number], MeterSample>(
    `SELECT timestamp, measurand, value, unit, phase, context FROM meter_values
     WHERE session_id = ? ORDER BY timestamp, id LIMIT ? OFFSET ?`,
  );

  return {
    start(input: NewSession) {
      return tx(() => {
        const created = insert.get({
          chargePointId: input.chargePointId,
          connectorId: input.connectorId,
          customerId: input.customerId,
          idTag: input.idTag,
          tariffId: input.tariff?.id ?? null,
          tariffName: input.tariff?.name ?? null,
          pricePerKwh: input.tariff?.pricePerKwh ?? null,
          pricePerMinute: input.tariff?.pricePerMinute ?? null,
          sessionFee: input.tariff?.sessionFee ?? null,
          status: input.refusal === null ? 'active' : 'refused',
          meterStart: input.meterStart,
          meterStartPending: input.meterStartPending ? 1 : 0,
          currency: input.currency,
          startedAt: input.startedAt,
          startTimestamp: input.startTimestamp,
          createdAt: input.createdAt,
          refusal: input.refusal,
          review: input.review,
        }) as SessionRow | undefined;
        if (created) return { session: toSession(created), created: true };
        const existing = byStartKey.get({
          chargePointId: input.chargePointId,
          connectorId: input.connectorId,
          idTag: input.idTag,
          startTimestamp: input.startTimestamp,
          meterStart: input.meterStart,
        }) as SessionRow;
        return { session: toSession(existing), created: false };
      });
    },
    get(id) {
      const row = byId.get(id);
      return row ? toSession(row) : null;
    },
    activeOnConnector(chargePointId, connectorId) {
      const row = activeOnConnector.get(chargePointId, connectorId);
      return row ? toSession(row) : null;
    },
    activeForCustomer(customerId) {
      return activeForCustomer.all(customerId).map(toSession);
    },
    activeElsewhere(customerId, idTag, chargePointId, connectorId) {
      return activeElsewhere.get(idTag, customerId, chargePointId, connectorId)!;
    },
    activeCreatedBefore(chargePointId, before, connectorId) {
      const rows = connectorId === undefined
        ? activeOfPointBefore.all(chargePointId, before)
        : activeOfConnectorBefore.all(chargePointId, connectorId, before);
      return rows.map(toSession);
    },
    list(filter) {
      const { sql, params } = where(filter);
      const rows = cached(`SELECT * FROM sessions ${sql} ORDER BY id DESC LIMIT @limit OFFSET @offset`).all({
        ...params,
        ...pageParams(filter),
      }) as SessionRow[];
      return rows.map(toSession);
    },
    count(filter) {
      const { sql, params } = where(filter);
      return (cached(`SELECT COUNT(*) AS n FROM sessions ${sql}`).get(params) as { n: number }).n;
    },
    updateProgress(id, p) {
      updateProgress.run({ id, ...p, meterStart: p.meterStart ?? null, lastReportAt: p.lastReportAt ?? null });
    },
    complete(id, p) {
      return complete.run({ id, ...p, closedBy: p.closedBy ?? 'charger', closeNote: p.closeNote ?? null }).changes > 0;
    },
    reconcile(id, p) {
      reconcile.run({ id, ...p });
    },
    fillStopReason(id, reason) {
      fillStopReason.run(reason, id);
    },
    flag(id, review) {
      flag.run(review, review, id);
    },
    addMeterSamples(sessionId, chargePointId, connectorId, list: MeterSample[]) {
      if (list.length === 0) return;
      tx(() => {
        for (const s of list) {
          insertSample.run(sessionId, chargePointId, connectorId, s.timestamp, s.measurand, s.value, s.unit, s.phase, s.context);
        }
      });
    },
    recordReading(id, chargePointId, connectorId, list, p) {
      tx(() => {
        for (const s of list) insertSample.run(id, chargePointId, connectorId, s.timestamp, s.measurand, s.value, s.unit, s.phase, s.context);
        updateProgress.run({ id, ...p, meterStart: p.meterStart ?? null, lastReportAt: p.lastReportAt ?? null });
      });
    },
    meterSamples(sessionId, page?: Page) {
      const { limit, offset } = pageParams(page);
      return samples.all(sessionId, limit, offset);
    },
  };
}
