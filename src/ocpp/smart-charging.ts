/**
 * Smart Charging rules of OCPP 1.6 (E2 §3.13) that need no CSMS state, for both sides: the checks a
 * charging profile must pass on its own, and the composite schedule of a charger's installed
 * profiles (what GetCompositeSchedule reports, E2 §5.7, and what a charger's power obeys).
 *
 * Electrical assumption (A ↔ W): each phase at `voltage` (230 V unless told), a period's
 * numberPhases or else the charger's `phases` (3 unless told): W = A × voltage × phases.
 * Limits are combined in W; a composite asked for in A is converted back with the phases of the
 * period that set the limit.
 */
import type { ChargingProfile, ChargingProfilePurpose, ChargingRateUnit, ChargingSchedule, ChargingSchedulePeriod } from './messages.ts';

export interface Electrical {
  /** Volts per phase. */
  voltage: number;
  /** Phases a period without numberPhases draws on. */
  phases: number;
}

export const DEFAULT_ELECTRICAL: Electrical = Object.freeze({ voltage: 230, phases: 3 });

const DAY_MS = 86_400_000;
const RECURRENCE_MS = { Daily: DAY_MS, Weekly: 7 * DAY_MS } as const;
/** At most this many change points are looked at in one window (a daily profile over years). */
const MAX_BREAKPOINTS = 10_000;

const time = (iso: string | undefined): number | null => (iso === undefined ? null : Date.parse(iso));

/**
 * Why `profile` may not be installed on `connectorId`, by the rules that need no charger state
 * (E2 §3.13, §5.16, §7.7–§7.9); null when it may.
 */
export function profileError(connectorId: number, profile: ChargingProfile): string | null {
  const { chargingProfilePurpose: purpose, chargingProfileKind: kind, chargingSchedule: schedule } = profile;
  if (!Number.isInteger(connectorId) || connectorId < 0) return 'connectorId must be an integer ≥ 0';
  if (purpose === 'ChargePointMaxProfile' && connectorId !== 0) return 'a ChargePointMaxProfile is set on connector 0 only';
  if (purpose === 'TxProfile' && connectorId === 0) return 'a TxProfile is set on the connector of its transaction, not on connector 0';
  if (profile.transactionId !== undefined && purpose !== 'TxProfile') return 'transactionId belongs to a TxProfile only';
  if (kind === 'Recurring' && !profile.recurrencyKind) return 'a Recurring profile needs recurrencyKind';
  if (kind === 'Recurring' && schedule.startSchedule === undefined) return 'a Recurring profile needs chargingSchedule.startSchedule';
  if (kind === 'Relative' && schedule.startSchedule !== undefined) return 'a Relative profile has no chargingSchedule.startSchedule (it starts with the transaction)';
  for (const [name, value] of [['validFrom', profile.validFrom], ['validTo', profile.validTo], ['startSchedule', schedule.startSchedule]] as const) {
    if (value !== undefined && Number.isNaN(Date.parse(value))) return `${name} is not a time this charger can read: ${value}`;
  }
  const from = time(profile.validFrom);
  const to = time(profile.validTo);
  if (from !== null && to !== null && from >= to) return 'validFrom must be before validTo';
  if (schedule.duration !== undefined && schedule.duration <= 0) return 'chargingSchedule.duration must be > 0';
  const periods = schedule.chargingSchedulePeriod;
  if (periods.length === 0) return 'a chargingSchedule needs at least one period';
  if (periods[0].startPeriod !== 0) return 'the first period starts at 0';
  for (let k = 0; k < periods.length; k++) {
    const p = periods[k];
    if (k > 0 && p.startPeriod <= periods[k - 1].startPeriod) return 'periods start in increasing order';
    if (!(p.limit >= 0)) return 'a period limit must be ≥ 0';
    if (p.numberPhases !== undefined && (p.numberPhases < 1 || p.numberPhases > 3)) return 'numberPhases is 1, 2 or 3';
  }
  return null;
}

/** A profile as a charger holds it: where it was set, and when (an Absolute schedule without startSchedule starts then). */
export interface InstalledProfile {
  connectorId: number;
  profile: ChargingProfile;
  /** ms since the epoch. */
  installedAt: number;
}

export interface CompositeInput {
  profiles: readonly InstalledProfile[];
  connectors: number;
  /**
   * Start (ms since the epoch) of the transaction running on a connector, by connectorId. TxProfiles
   * count only where a transaction runs (the holder removes them when it ends); Relative schedules
   * count from it (without one, from when the profile was installed; compositeSchedule() of an idle
   * connector counts them from the schedule's start).
   */
  txStart: ReadonlyMap<number, number>;
  /** What one connector can deliver with no profile in the way, W. */
  connectorMaxW: number;
  electrical?: Electrical;
}

/** A limit in W, and the phases it is drawn on. */
export interface Limit {
  w: number;
  phases: number;
}

/**
 * The schedule start `profile` uses at `t`. A Recurring one repeats its startSchedule's time of day
 * (or of week) before that date too: 1.6 does not say it waits for it, and validFrom is how a
 * profile is made to wait.
 */
function anchorAt(ip: InstalledProfile, t: number, txStart: number | undefined): number {
  const { profile } = ip;
  const start = time(profile.chargingSchedule.startSchedule);
  switch (profile.chargingProfileKind) {
    case 'Absolute': return start ?? ip.installedAt;
    case 'Relative': return txStart ?? ip.installedAt;
    case 'Recurring': {
      const period = RECURRENCE_MS[profile.recurrencyKind ?? 'Daily'];
      return start! + Math.floor((t - start!) / period) * period;
    }
  }
}

function valid(profile: ChargingProfile, t: number): boolean {
  const from = time(profile.validFrom);
  const to = time(profile.validTo);
  return (from === null || t >= from) && (to === null || t < to);
}

/** The period of `ip` in force at `t`, or null when its schedule does not cover `t`. */
function periodAt(ip: InstalledProfile, t: number, txStart: number | undefined): ChargingSchedulePeriod | null {
  if (!valid(ip.profile, t)) return null;
  const schedule = ip.profile.chargingSchedule;
  const offset = t - anchorAt(ip, t, txStart);
  if (offset < 0) return null;
  if (schedule.duration !== undefined && offset >= schedule.duration * 1000) return null;
  let found: ChargingSchedulePeriod | null = null;
  for (const p of schedule.chargingSchedulePeriod) {
    if (p.startPeriod * 1000 > offset) break;
    found = p;
  }
  return found;
}

function toLimit(p: ChargingSchedulePeriod, unit: ChargingRateUnit, el: Electrical): Limit {
  const phases = p.numberPhases ?? el.phases;
  return { w: unit === 'W' ? p.limit : p.limit * el.voltage * phases, phases };
}

/** The profiles of `purpose` that apply to `connectorId`. */
function candidates(input: CompositeInput, purpose: ChargingProfilePurpose, connectorId: number): InstalledProfile[] {
  return input.profiles.filter((ip) => {
    if (ip.profile.chargingProfilePurpose !== purpose) return false;
    if (purpose === 'ChargePointMaxProfile') return true;
    if (purpose === 'TxProfile') return ip.connectorId === connectorId && input.txStart.has(connectorId);
    return ip.connectorId === connectorId || ip.connectorId === 0;
  });
}

/**
 * Within one purpose, the valid profile of the highest stackLevel whose schedule covers `t` wins
 * (E2 §3.13.2); at equal levels a connector's own TxDefaultProfile wins over connector 0's.
 */
function purposeLimitAt(input: CompositeInput, purpose: ChargingProfilePurpose, connectorId: number, t: number): Limit | null {
  const el = input.electrical ?? DEFAULT_ELECTRICAL;
  let best: { ip: InstalledProfile; period: ChargingSchedulePeriod } | null = null;
  for (const ip of candidates(input, purpose, connectorId)) {
    const period = periodAt(ip, t, input.txStart.get(connectorId));
    if (!period) continue;
    const level = ip.profile.stackLevel;
    if (!best || level > best.ip.profile.stackLevel || (level === best.ip.profile.stackLevel && ip.connectorId > best.ip.connectorId)) best = { ip, period };
  }
  return best ? toLimit(best.period, best.ip.profile.chargingSchedule.chargingRateUnit, el) : null;
}

/** The limit the transaction-level profiles set on connector `connectorId` at `t`: a TxProfile overrides a TxDefaultProfile (E2 §3.13.1); null when neither applies. */
export function txLimitAt(input: CompositeInput, connectorId: number, t: number): Limit | null {
  return purposeLimitAt(input, 'TxProfile', connectorId, t) ?? purposeLimitAt(input, 'TxDefaultProfile', connectorId, t);
}

/** The ChargePointMaxProfile's limit at `t` on the whole charger, or null. */
export function chargePointMaxAt(input: CompositeInput, t: number): Limit | null {
  return purposeLimitAt(input, 'ChargePointMaxProfile', 0, t);
}

const lower = (a: Limit, b: Limit | null): Limit => (b && b.w < a.w ? b : a);

/**
 * The composite limit at `t` (E2 §3.13.3): on a connector, its transaction-level limit capped by the
 * ChargePointMaxProfile and what it can deliver; on connector 0, the charger's total: the sum of its
 * connectors' limits capped by the ChargePointMaxProfile.
 */
export function compositeLimitAt(input: CompositeInput, connectorId: number, t: number): Limit {
  const el = input.electrical ?? DEFAULT_ELECTRICAL;
  const max: Limit = { w: input.connectorMaxW, phases: el.phases };
  const cap = chargePointMaxAt(input, t);
  if (connectorId > 0) return lower(lower(max, txLimitAt(input, connectorId, t)), cap);
  let sum = 0;
  for (let n = 1; n <= input.connectors; n++) sum += lower(max, txLimitAt(input, n, t)).w;
  return lower({ w: sum, phases: el.phases }, cap);
}

/** Times in (from, to) at which some profile's limit may change: its validity bounds, period starts and schedule ends. */
export function breakpoints(input: CompositeInput, from: number, to: number): number[] {
  const out = new Set<number>();
  const add = (t: number | null) => {
    if (t !== null && t > from && t < to) out.add(t);
  };
  for (const ip of input.profiles) {
    const { profile } = ip;
    add(time(profile.validFrom));
    add(time(profile.validTo));
    const schedule = profile.chargingSchedule;
    // A connector-0 TxDefaultProfile counts from the transaction of each connector it applies to.
    const starts = ip.connectorId === 0 ? [undefined, ...input.txStart.values()] : [input.txStart.get(ip.connectorId)];
    const anchors = new Set<number>();
    for (const s of starts) {
      if (profile.chargingProfileKind !== 'Recurring') {
        anchors.add(anchorAt(ip, from, s));
        continue;
      }
      const step = RECURRENCE_MS[profile.recurrencyKind ?? 'Daily'];
      for (let a = anchorAt(ip, from, s); a < to && anchors.size < MAX_BREAKPOINTS; a += step) anchors.add(a);
    }
    for (const a of anchors) {
      add(a);
      for (const p of schedule.chargingSchedulePeriod) add(a + p.startPeriod * 1000);
      if (schedule.duration !== undefined) add(a + schedule.duration * 1000);
    }
    if (out.size > MAX_BREAKPOINTS) break;
  }
  return [...out].sort((a, b) => a - b);
}

/** The next time after `t` at which a limit may change, or null when none comes within `horizonMs`. */
export function nextChange(input: CompositeInput, t: number, horizonMs = 7 * DAY_MS): number | null {
  return breakpoints(input, t, t + horizonMs)[0] ?? null;
}

/** `w` in `unit` on `phases`, rounded down to the 0.1 the schema allows (never above the limit). */
export function fromWatts(w: number, unit: ChargingRateUnit, phases: number, el: Electrical = DEFAULT_ELECTRICAL): number {
  const value = unit === 'W' ? w : w / (el.voltage * phases);
  return Math.floor(value * 10 + 1e-9) / 10;
}

/** `limit` in `unit` on `phases`, in W. */
export function toWatts(limit: number, unit: ChargingRateUnit, phases: number, el: Electrical = DEFAULT_ELECTRICAL): number {
  return unit === 'W' ? limit : limit * el.voltage * phases;
}

/**
 * The composite schedule of `connectorId` from `from` (ms since the epoch) for `durationS` seconds,
 * in `unit` (GetCompositeSchedule.conf's chargingSchedule, E2 §5.7): one period per stretch of equal
 * limit, startPeriod in whole seconds from `from`.
 */
export function compositeSchedule(input: CompositeInput, connectorId: number, from: number, durationS: number, unit: ChargingRateUnit): ChargingSchedule {
  const el = input.electrical ?? DEFAULT_ELECTRICAL;
  const to = from + durationS * 1000;
  const periods: ChargingSchedulePeriod[] = [];
  // An idle connector's schedule is a forecast: its Relative schedules count from `from`, as for a
  // transaction starting then (what OCPP 2.0.1 K08 spells out), not from when they were installed.
  const forecast = connectorId > 0 && !input.txStart.has(connectorId) ? { ...input, txStart: new Map([...input.txStart, [connectorId, from]]) } : input;
  for (const t of [from, ...breakpoints(forecast, from, to)]) {
    const limit = compositeLimitAt(forecast, connectorId, t);
    const period: ChargingSchedulePeriod = { startPeriod: Math.floor((t - from) / 1000), limit: fromWatts(limit.w, unit, limit.phases, el) };
    if (limit.phases !== el.phases) period.numberPhases = limit.phases;
    const last = periods.at(-1);
    if (last && last.limit === period.limit && last.numberPhases === period.numberPhases) continue;
    // Two changes within one second: the later one holds from that second on.
    if (last && last.startPeriod === period.startPeriod) periods.pop();
    const before = periods.at(-1);
    if (before && before.limit === period.limit && before.numberPhases === period.numberPhases) continue;
    periods.push(period);
  }
  return { duration: durationS, startSchedule: new Date(from).toISOString(), chargingRateUnit: unit, chargingSchedulePeriod: periods };
}
