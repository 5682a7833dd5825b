/**
 * Rows of the record-keeping tables (commands, the OCPP message log, the event journal, the
 * outbox) and their domain objects, shared by the SQLite and the PostgreSQL adapter. JSON columns
 * are TEXT in both schemas: toJson / fromJson.
 */
import type { JournalEntry, OutboxItem } from '../../domain/ports.ts';
import type { CommandRecord, CommandStatus, Direction, OcppMessageLogEntry } from '../../domain/types.ts';

/** JSON for a TEXT column; `undefined` and `null` both become NULL. */
export function toJson(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return JSON.stringify(value);
}

export function fromJson(text: string | null): unknown {
  return text === null ? null : JSON.parse(text);
}

export interface CommandRow {
  id: string;
  charge_point_id: string;
  action: string;
  /** JSON text. */
  request: string | null;
  status: CommandStatus;
  /** JSON text. */
  response: string | null;
  requested_by: string | null;
  created_at: string;
  answered_at: string | null;
}

export function toCommand(row: CommandRow): CommandRecord {
  return {
    id: row.id,
    chargePointId: row.charge_point_id,
    action: row.action,
    request: fromJson(row.request),
    status: row.status,
    response: fromJson(row.response),
    requestedBy: row.requested_by,
    createdAt: row.created_at,
    answeredAt: row.answered_at,
  };
}

export interface MessageRow {
  id: number;
  charge_point_id: string;
  direction: Direction;
  message_type: OcppMessageLogEntry['messageType'];
  action: string | null;
  message_id: string | null;
  /** JSON text. */
  payload: string | null;
  latency_ms: number | null;
  created_at: string;
}

export function toMessageLogEntry(row: MessageRow): OcppMessageLogEntry {
  return {
    id: row.id,
    chargePointId: row.charge_point_id,
    direction: row.direction,
    messageType: row.message_type,
    action: row.action,
    messageId: row.message_id,
    payload: fromJson(row.payload),
    latencyMs: row.latency_ms,
    createdAt: row.created_at,
  };
}

export interface JournalRow {
  seq: number;
  body: string;
  attempts: number;
  dead_error: string | null;
  created_at: string;
}

export const toJournalEntry = (r: JournalRow): JournalEntry => ({ seq: r.seq, body: r.body, attempts: r.attempts, deadError: r.dead_error, createdAt: r.created_at });

export interface OutboxRow {
  id: number;
  exchange: string;
  routing_key: string;
  body: string;
  created_at: string;
}

export const toOutboxItem = (r: OutboxRow): OutboxItem => ({ id: r.id, exchange: r.exchange, routingKey: r.routing_key, body: r.body, createdAt: r.created_at });
