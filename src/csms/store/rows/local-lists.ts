/** Rows of local_lists (each charger's Local Authorization List) and their domain objects, for both adapters. */
import type { LocalListEntry, LocalListState } from '../../domain/types.ts';

export interface LocalListRow {
  charge_point_id: string;
  version: number;
  /** JSON text: LocalListEntry[]. */
  entries: string;
  reported_version: number | null;
  status: LocalListState['status'];
  detail: string | null;
  omitted: number;
  updated_at: string;
}

export function toLocalList(row: LocalListRow): LocalListState {
  return {
    chargePointId: row.charge_point_id,
    version: Number(row.version),
    entries: JSON.parse(row.entries) as LocalListEntry[],
    reportedVersion: row.reported_version === null ? null : Number(row.reported_version),
    status: row.status,
    detail: row.detail,
    omitted: Number(row.omitted),
    updatedAt: row.updated_at,
  };
}

export function localListValues(s: LocalListState): [string, number, string, number | null, string, string | null, string, number] {
  return [s.chargePointId, s.version, JSON.stringify(s.entries), s.reportedVersion, s.status, s.detail, s.updatedAt, s.omitted];
}

/** A row of the wanted-entries query: a card of a customer who may charge. */
export interface WantedRow {
  id_tag: string;
  expires_at: string | null;
}

/** The wanted entries in one order for both adapters (their collations sort mixed case differently). */
export function toWanted(rows: WantedRow[]): LocalListEntry[] {
  return rows
    .map((r): LocalListEntry => ({ idTag: r.id_tag, status: 'Accepted', expiryDate: r.expires_at }))
    .sort((a, b) => (a.idTag < b.idTag ? -1 : a.idTag > b.idTag ? 1 : 0));
}
