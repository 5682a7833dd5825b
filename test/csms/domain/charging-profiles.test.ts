/** The Smart Charging rules beyond the schemas: each refusal names its field; valid profiles pass. */
import { describe, expect, it } from 'vitest';
import type { ChargingProfile, SetChargingProfileRequest } from '../../../src/ocpp/messages.ts';
import {
  checkClearChargingProfile, checkRemoteStartProfile, checkSetChargingProfile, RESERVED_PROFILE_ID_BASE, type ProfileTarget,
} from '../../../src/csms/domain/charging-profiles.ts';

function aProfile(overrides: Partial<ChargingProfile> = {}, schedule: Partial<ChargingProfile['chargingSchedule']> = {}): ChargingProfile {
  return {
    chargingProfileId: 1, stackLevel: 0, chargingProfilePurpose: 'TxDefaultProfile', chargingProfileKind: 'Absolute',
    chargingSchedule: { startSchedule: '2030-01-01T00:00:00Z', chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }, { startPeriod: 3600, limit: 8 }], ...schedule },
    ...overrides,
  };
}

const idle: ProfileTarget = { connectorIds: [1, 2], activeTransactionId: null };
const charging: ProfileTarget = { connectorIds: [1, 2], activeTransactionId: 42 };

/** The code and field of the refusal, or null when the request passes. */
function refusal(req: Partial<SetChargingProfileRequest>, target = idle): { code: string; field: unknown } | null {
  try {
    checkSetChargingProfile(req, target);
    return null;
  } catch (err) {
    const e = err as { code: string; data?: { field?: unknown } };
    return { code: e.code, field: e.data?.field };
  }
}

const bad = (field: string) => ({ code: 'CSMS_ERR_VALIDATION', field });

describe('SetChargingProfile rules', () => {
  it('passes valid profiles of every purpose', () => {
    expect(refusal({ connectorId: 1, csChargingProfiles: aProfile() })).toBeNull();
    expect(refusal({ connectorId: 0, csChargingProfiles: aProfile({ chargingProfilePurpose: 'ChargePointMaxProfile' }) })).toBeNull();
    expect(refusal({ connectorId: 2, csChargingProfiles: aProfile({ chargingProfilePurpose: 'TxProfile', transactionId: 42 }) }, charging)).toBeNull();
    expect(refusal({ connectorId: 2, csChargingProfiles: aProfile({ chargingProfilePurpose: 'TxProfile', chargingProfileKind: 'Relative' }, { startSchedule: undefined }) }, charging)).toBeNull();
    expect(refusal({ connectorId: 1, csChargingProfiles: aProfile({ chargingProfileKind: 'Recurring', recurrencyKind: 'Daily' }) })).toBeNull();
  });

  it('needs a running transaction for a TxProfile, and that one (409)', () => {
    expect(refusal({ connectorId: 1, csChargingProfiles: aProfile({ chargingProfilePurpose: 'TxProfile' }) })).toEqual({ code: 'CSMS_ERR_SESSION_NOT_ACTIVE', field: 'connectorId' });
    expect(refusal({ connectorId: 1, csChargingProfiles: aProfile({ chargingProfilePurpose: 'TxProfile', transactionId: 7 }) }, charging))
      .toEqual({ code: 'CSMS_ERR_SESSION_NOT_ACTIVE', field: 'csChargingProfiles.transactionId' });
  });

  it('puts each purpose on the connectors it belongs to', () => {
    expect(refusal({ connectorId: 1, csChargingProfiles: aProfile({ chargingProfilePurpose: 'ChargePointMaxProfile' }) })).toEqual(bad('connectorId'));
    expect(refusal({ connectorId: 0, csChargingProfiles: aProfile({ chargingProfilePurpose: 'TxProfile' }) }, charging)).toEqual(bad('connectorId'));
    expect(refusal({ connectorId: 3, csChargingProfiles: aProfile() })).toEqual(bad('connectorId'));
    expect(refusal({ connectorId: 1, csChargingProfiles: aProfile({ transactionId: 42 }) }, charging)).toEqual(bad('csChargingProfiles.transactionId'));
  });

  it('checks kinds, validity and periods', () => {
    expect(refusal({ connectorId: 1, csChargingProfiles: aProfile({ chargingProfileKind: 'Recurring' }) })).toEqual(bad('csChargingProfiles.recurrencyKind'));
    expect(refusal({ connectorId: 1, csChargingProfiles: aProfile({ chargingProfileKind: 'Recurring', recurrencyKind: 'Weekly' }, { startSchedule: undefined }) }))
      .toEqual(bad('csChargingProfiles.chargingSchedule.startSchedule'));
    expect(refusal({ connectorId: 1, csChargingProfiles: aProfile({ chargingProfileKind: 'Relative' }) })).toEqual(bad('csChargingProfiles.chargingSchedule.startSchedule'));
    expect(refusal({ connectorId: 1, csChargingProfiles: aProfile({ recurrencyKind: 'Daily' }) })).toEqual(bad('csChargingProfiles.recurrencyKind'));
    expect(refusal({ connectorId: 1, csChargingProfiles: aProfile({ validFrom: '2030-02-01T00:00:00Z', validTo: '2030-01-01T00:00:00Z' }) })).toEqual(bad('csChargingProfiles.validTo'));
    expect(refusal({ connectorId: 1, csChargingProfiles: aProfile({ validFrom: '2030-01-01T00:00:00Z', validTo: '2030-01-01T00:00:00Z' }) })).toEqual(bad('csChargingProfiles.validTo'));
    expect(refusal({ connectorId: 1, csChargingProfiles: aProfile({}, { chargingSchedulePeriod: [{ startPeriod: 60, limit: 16 }] }) }))
      .toEqual(bad('csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].startPeriod'));
    expect(refusal({ connectorId: 1, csChargingProfiles: aProfile({}, { chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }, { startPeriod: 600, limit: 10 }, { startPeriod: 600, limit: 8 }] }) }))
      .toEqual(bad('csChargingProfiles.chargingSchedule.chargingSchedulePeriod[2].startPeriod'));
    expect(refusal({ connectorId: 1, csChargingProfiles: aProfile({}, { chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }, { startPeriod: 60, limit: 0 }] }) }))
      .toEqual(bad('csChargingProfiles.chargingSchedule.chargingSchedulePeriod[1].limit'));
  });

  it("keeps the CSMS's own profile ids for load management, whose profiles alone may pause at 0", () => {
    expect(refusal({ connectorId: 1, csChargingProfiles: aProfile({ chargingProfileId: RESERVED_PROFILE_ID_BASE + 1 }) })).toEqual(bad('csChargingProfiles.chargingProfileId'));
    const pause = { connectorId: 1, csChargingProfiles: aProfile({ chargingProfileId: RESERVED_PROFILE_ID_BASE + 42, chargingProfilePurpose: 'TxProfile', transactionId: 42 }, { chargingSchedulePeriod: [{ startPeriod: 0, limit: 0 }] }) };
    expect(() => checkSetChargingProfile(pause, { connectorIds: [1], activeTransactionId: 42 }, { own: true })).not.toThrow();
  });
});

describe('RemoteStartTransaction and ClearChargingProfile rules', () => {
  const refuse = (fn: () => void) => {
    try {
      fn();
      return null;
    } catch (err) {
      return (err as { data?: { field?: unknown } }).data?.field;
    }
  };

  it('accepts a TxProfile without a transactionId on a remote start (E2 §5.11), refuses others naming the rule', () => {
    expect(refuse(() => checkRemoteStartProfile(aProfile({ chargingProfilePurpose: 'TxProfile' })))).toBeNull();
    expect(refuse(() => checkRemoteStartProfile(undefined))).toBeNull();
    expect(refuse(() => checkRemoteStartProfile(aProfile()))).toBe('chargingProfile.chargingProfilePurpose');
    expect(refuse(() => checkRemoteStartProfile(aProfile({ chargingProfilePurpose: 'TxProfile', transactionId: 1 })))).toBe('chargingProfile.transactionId');
    expect(refuse(() => checkRemoteStartProfile(aProfile({ chargingProfilePurpose: 'TxProfile' }, { chargingSchedulePeriod: [{ startPeriod: 5, limit: 6 }] }))))
      .toBe('chargingProfile.chargingSchedule.chargingSchedulePeriod[0].startPeriod');
  });

  it('clears only on connectors the charge point has', () => {
    expect(refuse(() => checkClearChargingProfile({ connectorId: 0 }, idle))).toBeNull();
    expect(refuse(() => checkClearChargingProfile({}, idle))).toBeNull();
    expect(refuse(() => checkClearChargingProfile({ connectorId: 9 }, idle))).toBe('connectorId');
  });
});
