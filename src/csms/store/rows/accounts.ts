/**
 * Rows of the customer side of the schema (users, their cards, wallet entries and holds) and their
 * domain objects, shared by the SQLite and the PostgreSQL adapter. Boolean columns: see Flag.
 */
import type { WalletHold } from '../../domain/ports.ts';
import type { IdTagCard, Role, User, WalletEntry, WalletEntryKind } from '../../domain/types.ts';
import type { Flag } from './charge-points.ts';

/** A user with its primary card's expiry (joined from id_tags). */
export interface UserRow<B extends Flag = Flag> {
  id: number;
  email: string;
  name: string;
  role: Role;
  id_tag: string | null;
  /** The primary card's expires_at (joined). */
  id_tag_expires_at: string | null;
  blocked: B;
  max_concurrent_sessions: number;
  password_hash: string;
  created_at: string;
}

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    idTag: row.id_tag,
    idTagExpiresAt: row.id_tag_expires_at,
    blocked: Boolean(row.blocked),
    maxConcurrentSessions: row.max_concurrent_sessions,
    createdAt: row.created_at,
  };
}

export interface IdTagRow<B extends Flag = Flag> {
  id_tag: string;
  customer_id: number;
  label: string | null;
  blocked: B;
  expires_at: string | null;
  max_concurrent: number;
  created_at: string;
}

export function toIdTagCard(row: IdTagRow): IdTagCard {
  return {
    idTag: row.id_tag,
    customerId: row.customer_id,
    label: row.label,
    blocked: Boolean(row.blocked),
    expiresAt: row.expires_at,
    maxConcurrent: row.max_concurrent,
    createdAt: row.created_at,
  };
}

export interface WalletRow {
  id: number;
  customer_id: number;
  amount_minor: number;
  kind: WalletEntryKind;
  session_id: number | null;
  note: string | null;
  external_id: string | null;
  actor: string | null;
  created_at: string;
}

export function toWalletEntry(row: WalletRow): WalletEntry {
  return {
    id: row.id,
    customerId: row.customer_id,
    amountMinor: row.amount_minor,
    kind: row.kind,
    sessionId: row.session_id,
    note: row.note,
    externalId: row.external_id,
    actor: row.actor,
    createdAt: row.created_at,
  };
}

export interface HoldRow {
  session_id: number;
  customer_id: number;
  amount_minor: number;
  created_at: string;
  released_at: string | null;
  stop_requested_at: string | null;
}

export function toHold(row: HoldRow): WalletHold {
  return {
    sessionId: row.session_id,
    customerId: row.customer_id,
    amountMinor: row.amount_minor,
    createdAt: row.created_at,
    releasedAt: row.released_at,
    stopRequestedAt: row.stop_requested_at,
  };
}
