/** Rows of the installed charging profiles and of the unconfirmed-profile counts, shared by both adapters. */
import type { ChargingProfile, ChargingProfilePurpose } from '../../../ocpp/messages.ts';
import type { InstalledProfile, UnconfirmedProfiles } from '../../domain/types.ts';

export interface ChargingProfileRow {
  charge_point_id: string;
  charging_profile_id: number;
  connector_id: number;
  purpose: string;
  stack_level: number;
  transaction_id: number | null;
  /** JSON text. */
  profile: string;
  requested_by: string | null;
  installed_at: string;
}

export function toInstalledProfile(row: ChargingProfileRow): InstalledProfile {
  return {
    chargePointId: row.charge_point_id,
    connectorId: row.connector_id,
    chargingProfileId: row.charging_profile_id,
    stackLevel: row.stack_level,
    purpose: row.purpose as ChargingProfilePurpose,
    transactionId: row.transaction_id,
    profile: JSON.parse(row.profile) as ChargingProfile,
    requestedBy: row.requested_by,
    installedAt: row.installed_at,
  };
}

export interface UnconfirmedRow {
  count: number;
  last_status: string;
  last_at: string;
}

export function toUnconfirmed(row: UnconfirmedRow | undefined | null): UnconfirmedProfiles {
  return row ? { count: row.count, lastStatus: row.last_status, lastAt: row.last_at } : { count: 0, lastStatus: null, lastAt: null };
}

/** The WHERE clause of a ClearChargingProfile filter (E2 §5.4): by id alone, else every field given; `param` adds a value and returns its placeholder. */
export function clearCondition(filter: { id?: number; connectorId?: number; chargingProfilePurpose?: string; stackLevel?: number }, param: (v: unknown) => string): string {
  if (filter.id !== undefined) return `charging_profile_id = ${param(filter.id)}`;
  const parts: string[] = [];
  if (filter.connectorId !== undefined) parts.push(`connector_id = ${param(filter.connectorId)}`);
  if (filter.chargingProfilePurpose !== undefined) parts.push(`purpose = ${param(filter.chargingProfilePurpose)}`);
  if (filter.stackLevel !== undefined) parts.push(`stack_level = ${param(filter.stackLevel)}`);
  return parts.length > 0 ? parts.join(' AND ') : 'TRUE';
}
