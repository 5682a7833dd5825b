import { describe, expect, it } from 'vitest';
import type { ChargingProfile, ChargingSchedulePeriod } from '../../src/ocpp/messages.ts';
import {
  breakpoints, compositeLimitAt, compositeSchedule, fromWatts, nextChange, profileError, toWatts, txLimitAt,
  type CompositeInput, type InstalledProfile,
} from '../../src/ocpp/smart-charging.ts';

const T0 = Date.parse('2026-03-02T10:00:00.000Z'); // a Monday
const at = (s: number) => T0 + s * 1000;
const iso = (s: number) => new Date(at(s)).toISOString();

/** A profile of one period of `limit` W (Absolute, starting at T0), with overrides. */
function aProfile(overrides: Partial<ChargingProfile> & { periods?: ChargingSchedulePeriod[]; unit?: 'A' | 'W'; startS?: number; durationS?: number } = {}): ChargingProfile {
  const { periods, unit, startS, durationS, ...rest } = overrides;
  const kind = rest.chargingProfileKind ?? 'Absolute';
  return {
    chargingProfileId: 1, stackLevel: 0, chargingProfilePurpose: 'TxDefaultProfile', chargingProfileKind: kind,
    ...rest,
    chargingSchedule: {
      chargingRateUnit: unit ?? 'W',
      chargingSchedulePeriod: periods ?? [{ startPeriod: 0, limit: 11_000 }],
      ...(kind === 'Relative' ? {} : { startSchedule: iso(startS ?? 0) }),
      ...(durationS !== undefined ? { duration: durationS } : {}),
      ...rest.chargingSchedule,
    },
  };
}

const on = (connectorId: number, profile: ChargingProfile, installedAt = T0): InstalledProfile => ({ connectorId, profile, installedAt });

function anInput(profiles: InstalledProfile[], txStart: [number, number][] = [], connectors = 2): CompositeInput {
  return { profiles, connectors, txStart: new Map(txStart), connectorMaxW: 22_000 };
}

describe('profileError: the rules a profile must pass on its own (E2 §3.13)', () => {
  it('accepts a plain TxDefaultProfile on connector 0 or a connector', () => {
    expect(profileError(0, aProfile())).toBeNull();
    expect(profileError(2, aProfile())).toBeNull();
  });

  it('ChargePointMaxProfile only on connector 0; TxProfile never on connector 0; transactionId only for a TxProfile', () => {
    expect(profileError(0, aProfile({ chargingProfilePurpose: 'ChargePointMaxProfile' }))).toBeNull();
    expect(profileError(1, aProfile({ chargingProfilePurpose: 'ChargePointMaxProfile' }))).toMatch(/connector 0 only/);
    expect(profileError(1, aProfile({ chargingProfilePurpose: 'TxProfile', transactionId: 5 }))).toBeNull();
    expect(profileError(0, aProfile({ chargingProfilePurpose: 'TxProfile' }))).toMatch(/not on connector 0/);
    expect(profileError(1, aProfile({ transactionId: 5 }))).toMatch(/TxProfile only/);
  });

  it('Recurring needs recurrencyKind and startSchedule; Relative has no startSchedule', () => {
    expect(profileError(0, aProfile({ chargingProfileKind: 'Recurring', recurrencyKind: 'Daily' }))).toBeNull();
    expect(profileError(0, aProfile({ chargingProfileKind: 'Recurring' }))).toMatch(/recurrencyKind/);
    const noStart = aProfile({ chargingProfileKind: 'Recurring', recurrencyKind: 'Weekly' });
    delete noStart.chargingSchedule.startSchedule;
    expect(profileError(0, noStart)).toMatch(/startSchedule/);
    expect(profileError(0, aProfile({ chargingProfileKind: 'Relative' }))).toBeNull();
    const relativeWithStart = aProfile({ chargingProfileKind: 'Relative' });
    relativeWithStart.chargingSchedule.startSchedule = iso(0);
    expect(profileError(0, relativeWithStart)).toMatch(/Relative/);
  });

  it('periods start at 0 and increase; limits ≥ 0; numberPhases 1–3', () => {
    expect(profileError(0, aProfile({ periods: [{ startPeriod: 10, limit: 1 }] }))).toMatch(/starts at 0/);
    expect(profileError(0, aProfile({ periods: [{ startPeriod: 0, limit: 1 }, { startPeriod: 60, limit: 2 }, { startPeriod: 60, limit: 3 }] }))).toMatch(/increasing/);
    expect(profileError(0, aProfile({ periods: [] }))).toMatch(/at least one/);
    expect(profileError(0, aProfile({ periods: [{ startPeriod: 0, limit: -1 }] }))).toMatch(/≥ 0/);
    expect(profileError(0, aProfile({ periods: [{ startPeriod: 0, limit: 16, numberPhases: 4 }] }))).toMatch(/numberPhases/);
  });

  it('validFrom before validTo; a time it cannot read is refused', () => {
    expect(profileError(0, aProfile({ validFrom: iso(0), validTo: iso(60) }))).toBeNull();
    expect(profileError(0, aProfile({ validFrom: iso(60), validTo: iso(60) }))).toMatch(/before validTo/);
    expect(profileError(0, aProfile({ validTo: '2030-12-31T23:59:60Z' }))).toMatch(/not a time/);
  });
});

describe('A ↔ W at 230 V per phase', () => {
  it('converts with the phases, rounding a limit down to 0.1', () => {
    expect(toWatts(16, 'A', 3)).toBe(11_040);
    expect(toWatts(16, 'A', 1)).toBe(3680);
    expect(fromWatts(11_040, 'A', 3)).toBe(16);
    expect(fromWatts(11_000, 'A', 3)).toBe(15.9); // 15.942… A
    expect(fromWatts(11_000.55, 'W', 3)).toBe(11_000.5);
  });
});

describe('the composite limit at an instant', () => {
  it('within a purpose the highest stackLevel wins; a higher level ending lets the lower one through', () => {
    const input = anInput([
      on(1, aProfile({ chargingProfileId: 1, stackLevel: 0, periods: [{ startPeriod: 0, limit: 7000 }] })),
      on(1, aProfile({ chargingProfileId: 2, stackLevel: 2, durationS: 600, periods: [{ startPeriod: 0, limit: 4000 }] })),
      on(1, aProfile({ chargingProfileId: 3, stackLevel: 1, periods: [{ startPeriod: 0, limit: 5000 }] })),
    ]);
    expect(txLimitAt(input, 1, at(10))?.w).toBe(4000);
    // Level 2's schedule lasts 600 s: level 1 applies after it.
    expect(txLimitAt(input, 1, at(600))?.w).toBe(5000);
    // Before any schedule starts, none applies.
    expect(txLimitAt(input, 1, at(-1))).toBeNull();
  });

  it('validFrom and validTo bound a profile', () => {
    const input = anInput([
      on(0, aProfile({ chargingProfileId: 1, stackLevel: 0, periods: [{ startPeriod: 0, limit: 9000 }] })),
      on(0, aProfile({ chargingProfileId: 2, stackLevel: 5, validFrom: iso(100), validTo: iso(200), periods: [{ startPeriod: 0, limit: 2000 }] })),
    ]);
    expect(txLimitAt(input, 1, at(99))?.w).toBe(9000);
    expect(txLimitAt(input, 1, at(100))?.w).toBe(2000);
    expect(txLimitAt(input, 1, at(199))?.w).toBe(2000);
    expect(txLimitAt(input, 1, at(200))?.w).toBe(9000);
  });

  it('periods of an Absolute schedule take effect at startSchedule + startPeriod', () => {
    const input = anInput([on(1, aProfile({ startS: 60, periods: [{ startPeriod: 0, limit: 6000 }, { startPeriod: 300, limit: 3000 }] }))]);
    expect(txLimitAt(input, 1, at(59))).toBeNull();
    expect(txLimitAt(input, 1, at(60))?.w).toBe(6000);
    expect(txLimitAt(input, 1, at(359))?.w).toBe(6000);
    expect(txLimitAt(input, 1, at(360))?.w).toBe(3000);
  });

  it('an Absolute schedule without startSchedule starts when it was installed', () => {
    const p = aProfile({ periods: [{ startPeriod: 0, limit: 6000 }, { startPeriod: 100, limit: 3000 }] });
    delete p.chargingSchedule.startSchedule;
    const input = anInput([on(1, p, at(1000))]);
    expect(txLimitAt(input, 1, at(1099))?.w).toBe(6000);
    expect(txLimitAt(input, 1, at(1100))?.w).toBe(3000);
  });

  it('a Relative schedule counts from the start of the connector\'s transaction', () => {
    const input = anInput([on(0, aProfile({ chargingProfileKind: 'Relative', periods: [{ startPeriod: 0, limit: 3000 }, { startPeriod: 1800, limit: 11_000 }] }))], [[1, at(500)], [2, at(1000)]]);
    expect(txLimitAt(input, 1, at(2299))?.w).toBe(3000);
    expect(txLimitAt(input, 1, at(2300))?.w).toBe(11_000);
    expect(txLimitAt(input, 2, at(2300))?.w).toBe(3000);
    expect(txLimitAt(input, 2, at(2800))?.w).toBe(11_000);
  });

  it('a Daily recurring schedule repeats every 24 h from its startSchedule, a Weekly one every 7 days', () => {
    // 18:00–22:00 UTC every day at 4 kW (T0 is 10:00).
    const daily = aProfile({ chargingProfileKind: 'Recurring', recurrencyKind: 'Daily', startS: 8 * 3600, durationS: 4 * 3600, periods: [{ startPeriod: 0, limit: 4000 }] });
    const input = anInput([on(0, daily)]);
    const day = 86_400;
    expect(txLimitAt(input, 1, at(8 * 3600 - 1))).toBeNull();
    expect(txLimitAt(input, 1, at(8 * 3600))?.w).toBe(4000);
    expect(txLimitAt(input, 1, at(12 * 3600))).toBeNull();
    expect(txLimitAt(input, 1, at(3 * day + 9 * 3600))?.w).toBe(4000);
    expect(txLimitAt(input, 1, at(3 * day + 13 * 3600))).toBeNull();
    const weekly = aProfile({ chargingProfileKind: 'Recurring', recurrencyKind: 'Weekly', durationS: day, periods: [{ startPeriod: 0, limit: 5000 }] });
    const w = anInput([on(0, weekly)]);
    expect(txLimitAt(w, 1, at(3600))?.w).toBe(5000);
    expect(txLimitAt(w, 1, at(day + 3600))).toBeNull();
    expect(txLimitAt(w, 1, at(7 * day + 3600))?.w).toBe(5000);
  });

  it('a TxProfile overrides the TxDefaultProfile, whatever their levels, only where a transaction runs', () => {
    const profiles = [
      on(0, aProfile({ chargingProfileId: 1, stackLevel: 9, periods: [{ startPeriod: 0, limit: 8000 }] })),
      on(1, aProfile({ chargingProfileId: 2, stackLevel: 0, chargingProfilePurpose: 'TxProfile', periods: [{ startPeriod: 0, limit: 12_000 }] })),
    ];
    expect(txLimitAt(anInput(profiles, [[1, at(0)]]), 1, at(10))?.w).toBe(12_000);
    expect(txLimitAt(anInput(profiles, []), 1, at(10))?.w).toBe(8000);
  });

  it('a connector\'s own TxDefaultProfile beats connector 0\'s at the same level; a higher level on 0 beats it', () => {
    const own = on(2, aProfile({ chargingProfileId: 2, stackLevel: 1, periods: [{ startPeriod: 0, limit: 5000 }] }));
    expect(txLimitAt(anInput([on(0, aProfile({ stackLevel: 1, periods: [{ startPeriod: 0, limit: 9000 }] })), own]), 2, at(1))?.w).toBe(5000);
    expect(txLimitAt(anInput([on(0, aProfile({ stackLevel: 2, periods: [{ startPeriod: 0, limit: 9000 }] })), own]), 2, at(1))?.w).toBe(9000);
  });

  it('amps count with the period\'s numberPhases, else 3, at 230 V', () => {
    const input = anInput([
      on(1, aProfile({ unit: 'A', periods: [{ startPeriod: 0, limit: 16 }, { startPeriod: 60, limit: 16, numberPhases: 1 }] })),
    ]);
    expect(txLimitAt(input, 1, at(0))).toEqual({ w: 11_040, phases: 3 });
    expect(txLimitAt(input, 1, at(60))).toEqual({ w: 3680, phases: 1 });
  });

  it('the ChargePointMaxProfile caps a connector, and on connector 0 the sum of the connectors', () => {
    const input = anInput([
      on(0, aProfile({ chargingProfilePurpose: 'ChargePointMaxProfile', periods: [{ startPeriod: 0, limit: 30_000 }] })),
      on(1, aProfile({ chargingProfileId: 2, periods: [{ startPeriod: 0, limit: 7000 }] })),
    ]);
    // Connector 1: its 7 kW; connector 2: its 22 kW rating; together 29 kW, under the 30 kW cap.
    expect(compositeLimitAt(input, 1, at(1)).w).toBe(7000);
    expect(compositeLimitAt(input, 2, at(1)).w).toBe(22_000);
    expect(compositeLimitAt(input, 0, at(1)).w).toBe(29_000);
    const tight = anInput([on(0, aProfile({ chargingProfilePurpose: 'ChargePointMaxProfile', unit: 'A', periods: [{ startPeriod: 0, limit: 10 }] }))]);
    expect(compositeLimitAt(tight, 2, at(1)).w).toBe(6900);
    expect(compositeLimitAt(tight, 0, at(1)).w).toBe(6900);
    // No profile at all: what the connectors can deliver.
    expect(compositeLimitAt(anInput([]), 0, at(1)).w).toBe(44_000);
  });
});

describe('change points and the composite schedule', () => {
  it('lists validity bounds, period starts and schedule ends inside the window', () => {
    const input = anInput([
      on(1, aProfile({ durationS: 900, validTo: iso(2000), periods: [{ startPeriod: 0, limit: 1 }, { startPeriod: 300, limit: 2 }] })),
    ]);
    expect(breakpoints(input, at(0), at(3000))).toEqual([at(300), at(900), at(2000)]);
    expect(nextChange(input, at(300))).toBe(at(900));
    expect(nextChange(input, at(2000))).toBeNull();
  });

  it('GetCompositeSchedule of a connector: TxProfile under a ChargePointMaxProfile, in W and in A', () => {
    const input = anInput([
      on(0, aProfile({ chargingProfilePurpose: 'ChargePointMaxProfile', periods: [{ startPeriod: 0, limit: 15_000 }, { startPeriod: 1200, limit: 6000 }] })),
      on(1, aProfile({ chargingProfilePurpose: 'TxProfile', chargingProfileKind: 'Relative', periods: [{ startPeriod: 0, limit: 11_040 }, { startPeriod: 600, limit: 20_000 }] })),
    ], [[1, at(0)]]);
    const w = compositeSchedule(input, 1, at(0), 1800, 'W');
    expect(w).toEqual({
      duration: 1800, startSchedule: iso(0), chargingRateUnit: 'W',
      chargingSchedulePeriod: [{ startPeriod: 0, limit: 11_040 }, { startPeriod: 600, limit: 15_000 }, { startPeriod: 1200, limit: 6000 }],
    });
    const a = compositeSchedule(input, 1, at(0), 1800, 'A');
    // 11 040 W / 690 = 16 A; 15 000 / 690 = 21.739… → 21.7; 6000 / 690 = 8.695… → 8.6.
    expect(a.chargingSchedulePeriod).toEqual([{ startPeriod: 0, limit: 16 }, { startPeriod: 600, limit: 21.7 }, { startPeriod: 1200, limit: 8.6 }]);
  });

  it('a window starting mid-schedule counts its periods from the window; equal neighbours merge; one-phase periods say so', () => {
    const input = anInput([
      on(1, aProfile({ unit: 'A', periods: [{ startPeriod: 0, limit: 32 }, { startPeriod: 100, limit: 32 }, { startPeriod: 200, limit: 16, numberPhases: 1 }] })),
    ]);
    const s = compositeSchedule(input, 1, at(50), 300, 'A');
    // 32 A × 3 × 230 = 22 080 W is over the 22 kW rating: 22 000 / 690 = 31.88… → 31.8 A.
    expect(s.chargingSchedulePeriod).toEqual([{ startPeriod: 0, limit: 31.8 }, { startPeriod: 150, limit: 16, numberPhases: 1 }]);
  });

  it('a daily window over two days shows the evening limit twice', () => {
    const input = anInput([on(0, aProfile({
      chargingProfilePurpose: 'ChargePointMaxProfile', chargingProfileKind: 'Recurring', recurrencyKind: 'Daily',
      startS: 8 * 3600, durationS: 4 * 3600, periods: [{ startPeriod: 0, limit: 10_000 }],
    }))]);
    const s = compositeSchedule(input, 0, at(0), 2 * 86_400, 'W');
    expect(s.chargingSchedulePeriod).toEqual([
      { startPeriod: 0, limit: 44_000 },
      { startPeriod: 8 * 3600, limit: 10_000 },
      { startPeriod: 12 * 3600, limit: 44_000 },
      { startPeriod: 32 * 3600, limit: 10_000 },
      { startPeriod: 36 * 3600, limit: 44_000 },
    ]);
  });
});
