/**
 * The rules of OCPP 1.6 Smart Charging (E2 §3.13, §5.16, §7.7–§7.9) that the JSON schemas cannot
 * say: which purpose goes on which connector, what a kind needs, how periods run. Checked before a
 * command is recorded or sent; each failure names the payload field (`data.field`), as a schema
 * failure does. Field shapes the schema checks (types, enums) are left to it: a rule here only
 * judges values of the right type.
 */
import type { ChargingProfile, ClearChargingProfileRequest, GetCompositeScheduleRequest, SetChargingProfileRequest } from '../../ocpp/messages.ts';
import { CsmsError } from './errors.ts';

/**
 * chargingProfileIds from here up are the CSMS's own (load management: one per transaction), so an
 * admin's profile never replaces one by its id.
 */
export const RESERVED_PROFILE_ID_BASE = 1_000_000_000;

/** What the rules need to know of the charge point. */
export interface ProfileTarget {
  /** Connector ids the charge point has (0, the charge point as a whole, is always valid). */
  connectorIds: readonly number[];
  /** The transaction running on the request's connector, if any. */
  activeTransactionId: number | null;
}

function invalid(field: string, reason: string): CsmsError {
  return new CsmsError('CSMS_ERR_VALIDATION', `${field}: ${reason}`, { field, reason });
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The connector must be 0 or one the charge point has. */
function checkConnector(connectorId: unknown, target: ProfileTarget, field = 'connectorId'): void {
  if (isInt(connectorId) && connectorId !== 0 && !target.connectorIds.includes(connectorId)) {
    throw invalid(field, `the charge point has no connector ${connectorId} (it has ${target.connectorIds.join(', ') || 'none'}; 0 is the charge point as a whole)`);
  }
}

/**
 * The rules a profile must keep whatever it is sent with (`path` is its field, e.g.
 * `csChargingProfiles`): kind and schedule (E2 §7.8, §7.9), validity, periods, limits. Only the
 * CSMS's own profiles may pause a session with a limit of 0 (load management, when the grid limit
 * cannot give it its minimum).
 */
export function checkProfile(profile: unknown, path: string, opts: { pauseAllowed?: boolean } = {}): void {
  if (!isObj(profile)) return;
  const p = profile as Partial<ChargingProfile> & Record<string, unknown>;
  const schedule = isObj(p.chargingSchedule) ? p.chargingSchedule as Partial<ChargingProfile['chargingSchedule']> : null;
  if (p.chargingProfileKind === 'Recurring') {
    if (p.recurrencyKind === undefined) throw invalid(`${path}.recurrencyKind`, 'a Recurring profile needs recurrencyKind (Daily or Weekly)');
    if (schedule && schedule.startSchedule === undefined) throw invalid(`${path}.chargingSchedule.startSchedule`, 'a Recurring profile needs startSchedule: the recurrence counts from it');
  } else if (p.recurrencyKind !== undefined && typeof p.chargingProfileKind === 'string') {
    throw invalid(`${path}.recurrencyKind`, `recurrencyKind belongs to Recurring profiles only, not ${p.chargingProfileKind}`);
  }
  if (p.chargingProfileKind === 'Relative' && schedule?.startSchedule !== undefined) {
    throw invalid(`${path}.chargingSchedule.startSchedule`, 'a Relative profile has no startSchedule: it starts with the transaction');
  }
  if (typeof p.validFrom === 'string' && typeof p.validTo === 'string') {
    const from = Date.parse(p.validFrom);
    const to = Date.parse(p.validTo);
    if (!Number.isNaN(from) && !Number.isNaN(to) && from >= to) throw invalid(`${path}.validTo`, `validTo (${p.validTo}) must be after validFrom (${p.validFrom})`);
  }
  if (schedule && isInt(schedule.duration) && schedule.duration <= 0) {
    throw invalid(`${path}.chargingSchedule.duration`, 'duration must be positive (leave it out for no end)');
  }
  const periods = schedule?.chargingSchedulePeriod;
  if (!Array.isArray(periods)) return;
  const at = (i: number, field: string) => `${path}.chargingSchedule.chargingSchedulePeriod[${i}].${field}`;
  let previous = -1;
  periods.forEach((period: unknown, i) => {
    if (!isObj(period)) return;
    const { startPeriod, limit } = period;
    if (isInt(startPeriod)) {
      if (i === 0 && startPeriod !== 0) throw invalid(at(0, 'startPeriod'), 'the first period must start at 0');
      if (i > 0 && startPeriod <= previous) throw invalid(at(i, 'startPeriod'), `periods must start in strictly increasing order (${startPeriod} after ${previous})`);
      previous = startPeriod;
    }
    if (isNum(limit) && (limit < 0 || (limit === 0 && !opts.pauseAllowed))) throw invalid(at(i, 'limit'), 'the limit must be greater than 0');
  });
}

/**
 * SetChargingProfile.req against the charge point (E2 §5.16, §3.13): the purpose fits the
 * connector, a TxProfile belongs to the transaction running there (409 when none runs, or another),
 * and ids from RESERVED_PROFILE_ID_BASE up are the CSMS's own unless `own` is set.
 */
export function checkSetChargingProfile(req: Partial<SetChargingProfileRequest>, target: ProfileTarget, opts: { own?: boolean } = {}): void {
  const { connectorId } = req;
  checkConnector(connectorId, target);
  const profile = req.csChargingProfiles;
  if (!isObj(profile)) return;
  const path = 'csChargingProfiles';
  if (!opts.own && isInt(profile.chargingProfileId) && profile.chargingProfileId >= RESERVED_PROFILE_ID_BASE) {
    throw invalid(`${path}.chargingProfileId`, `ids from ${RESERVED_PROFILE_ID_BASE} up are the CSMS's own (load management)`);
  }
  const purpose = profile.chargingProfilePurpose;
  if (purpose === 'ChargePointMaxProfile' && isInt(connectorId) && connectorId !== 0) {
    throw invalid('connectorId', 'a ChargePointMaxProfile limits the whole charge point: connectorId must be 0');
  }
  if (purpose !== 'TxProfile' && profile.transactionId !== undefined && typeof purpose === 'string') {
    throw invalid(`${path}.transactionId`, `only a TxProfile names a transaction, not a ${purpose}`);
  }
  if (purpose === 'TxProfile') {
    if (connectorId === 0) throw invalid('connectorId', 'a TxProfile applies to the transaction on one connector: connectorId must not be 0');
    if (target.activeTransactionId === null) {
      throw new CsmsError('CSMS_ERR_SESSION_NOT_ACTIVE', `connectorId: no transaction runs on connector ${String(connectorId)}; a TxProfile needs one (E2 §3.13)`, { field: 'connectorId', reason: 'no running transaction' });
    }
    if (profile.transactionId !== undefined && profile.transactionId !== target.activeTransactionId) {
      throw new CsmsError('CSMS_ERR_SESSION_NOT_ACTIVE', `${path}.transactionId: transaction ${String(profile.transactionId)} is not the one running on connector ${String(connectorId)} (${target.activeTransactionId})`, {
        field: `${path}.transactionId`, reason: 'not the running transaction', runningTransactionId: target.activeTransactionId,
      });
    }
  }
  checkProfile(profile, path, { pauseAllowed: opts.own });
}

/** RemoteStartTransaction.req's chargingProfile (E2 §5.11): a TxProfile, without a transactionId (there is none yet). */
export function checkRemoteStartProfile(profile: unknown): void {
  if (!isObj(profile)) return;
  const path = 'chargingProfile';
  if (typeof profile.chargingProfilePurpose === 'string' && profile.chargingProfilePurpose !== 'TxProfile') {
    throw invalid(`${path}.chargingProfilePurpose`, `the profile of a remote start must be a TxProfile, not ${profile.chargingProfilePurpose} (E2 §5.11)`);
  }
  if (profile.transactionId !== undefined) throw invalid(`${path}.transactionId`, 'a remote start has no transaction yet: leave transactionId out (E2 §5.11)');
  if (isInt(profile.chargingProfileId) && profile.chargingProfileId >= RESERVED_PROFILE_ID_BASE) {
    throw invalid(`${path}.chargingProfileId`, `ids from ${RESERVED_PROFILE_ID_BASE} up are the CSMS's own (load management)`);
  }
  checkProfile(profile, path);
}

/** ClearChargingProfile.req: a connector the charge point has. */
export function checkClearChargingProfile(req: Partial<ClearChargingProfileRequest>, target: ProfileTarget): void {
  checkConnector(req.connectorId, target);
}

/** GetCompositeSchedule.req: a connector the charge point has. */
export function checkGetCompositeSchedule(req: Partial<GetCompositeScheduleRequest>, target: ProfileTarget): void {
  checkConnector(req.connectorId, target);
}
