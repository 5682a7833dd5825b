/**
 * The simulated charger's Smart Charging (E2 §3.13, §5.5, §5.7, §5.16): the profiles it holds, the
 * answers to SetChargingProfile, ClearChargingProfile and GetCompositeSchedule, a RemoteStart's
 * TxProfile, and the limit its power obeys. The limit is re-evaluated when a profile comes or goes,
 * when a transaction starts or ends, at each boundary of its composite schedule (a K_LIMIT timer)
 * and at each meter sample; energy accrues at the capped power. The rules themselves are
 * src/ocpp/smart-charging.ts (230 V per phase, 3 phases).
 */
import { performance } from 'node:perf_hooks';
import type {
  ChargingProfile, ChargingProfileStatus, ChargingRateUnit, ClearChargingProfileRequest, ClearChargingProfileStatus,
  GetCompositeScheduleRequest, GetCompositeScheduleResponse, SetChargingProfileRequest,
} from '../../ocpp/index.ts';
import {
  chargePointMaxAt, compositeSchedule, DEFAULT_ELECTRICAL, nextChange, profileError, txLimitAt,
  type CompositeInput, type InstalledProfile,
} from '../../ocpp/smart-charging.ts';
import type { SimCharger } from '../charger.ts';
import { advance } from './energy.ts';
import { deliveredW, K_LIMIT, type Tx } from './model.ts';

/** A profile the charger holds; a TxProfile belongs to the transaction it was set for (null for the others). */
interface Held extends InstalledProfile {
  tx: Tx | null;
}

/** A charger's Smart Charging state; made when its first profile comes, so a fleet without profiles carries none. */
export interface SmartCharging {
  profiles: Held[];
  /** Generation of the K_LIMIT timer (the next boundary of the composite schedule). */
  limitGen: number;
  /** The charger's time (ms since the epoch) its K_LIMIT timer is armed for; null when none is. */
  armedFor: number | null;
}

/** `loadmgmt.rebalance` counts a TxProfile that comes within this long after the StartTransaction's answer. */
export const REBALANCE_WAIT_MS = 30_000;

const wallNow = (ch: SimCharger, at: number): number => Math.floor(performance.timeOrigin + at) + ch.clockOffsetMs;

function running(tx: Tx | null | undefined): tx is Tx {
  return !!tx && tx.startTimestamp !== '' && !tx.ended && !tx.refused;
}

function compositeInput(ch: SimCharger): CompositeInput {
  const txStart = new Map<number, number>();
  ch.connectors.forEach((c, i) => {
    if (running(c.tx)) txStart.set(i + 1, Date.parse(c.tx.startTimestamp));
  });
  // A RemoteStart's TxProfile waits for its transaction; one whose transaction is gone no longer counts.
  const profiles = (ch.smart?.profiles ?? []).filter((h) => h.tx === null || h.tx === ch.connectors[h.connectorId - 1]?.tx);
  return { profiles, connectors: ch.connectors.length, txStart, connectorMaxW: ch.tpl.powerKw.max * 1000, electrical: DEFAULT_ELECTRICAL };
}

const UNIT_NAME: Record<ChargingRateUnit, string> = { A: 'Current', W: 'Power' };

function allowedUnits(ch: SimCharger): string[] {
  return (ch.config.value('ChargingScheduleAllowedChargingRateUnit') ?? 'Current,Power').split(',').map((s) => s.trim());
}

/** The profiles left after `profile` replaces its namesakes: same id, or same connector, purpose and stackLevel (E2 §5.16). */
function replacing(ch: SimCharger, connectorId: number, profile: ChargingProfile): Held[] {
  return (ch.smart?.profiles ?? []).filter((h) => {
    const p = h.profile;
    if (p.chargingProfileId === profile.chargingProfileId) return false;
    return !(h.connectorId === connectorId && p.chargingProfilePurpose === profile.chargingProfilePurpose && p.stackLevel === profile.stackLevel);
  });
}

/** Why this charger cannot take `profile` on `connectorId` (the rules of E2 §3.13, and its own caps, E2 §9.4); null when it can. */
function refusal(ch: SimCharger, connectorId: number, profile: ChargingProfile): string | null {
  if (connectorId > ch.connectors.length) return `no connector ${connectorId}`;
  const rule = profileError(connectorId, profile);
  if (rule) return rule;
  const max = (key: string) => Number(ch.config.value(key));
  const periods = profile.chargingSchedule.chargingSchedulePeriod;
  if (profile.stackLevel > max('ChargeProfileMaxStackLevel')) return 'stackLevel above ChargeProfileMaxStackLevel';
  if (!allowedUnits(ch).includes(UNIT_NAME[profile.chargingSchedule.chargingRateUnit])) return 'chargingRateUnit not in ChargingScheduleAllowedChargingRateUnit';
  if (periods.length > max('ChargingScheduleMaxPeriods')) return 'more periods than ChargingScheduleMaxPeriods';
  if (profile.chargingProfilePurpose === 'TxProfile' && ch.config.value('ConnectorSwitch3to1PhaseSupported') !== 'true'
    && periods.some((p) => p.numberPhases !== undefined && p.numberPhases !== DEFAULT_ELECTRICAL.phases)) {
    return 'this charger cannot switch phases during a transaction (ConnectorSwitch3to1PhaseSupported)';
  }
  if (replacing(ch, connectorId, profile).length + 1 > max('MaxChargingProfilesInstalled')) return 'MaxChargingProfilesInstalled reached';
  return null;
}

function hold(ch: SimCharger, connectorId: number, profile: ChargingProfile, tx: Tx | null, at: number): void {
  const profiles = replacing(ch, connectorId, profile);
  profiles.push({ connectorId, profile, installedAt: wallNow(ch, at), tx });
  if (ch.smart) ch.smart.profiles = profiles;
  else ch.smart = { profiles, limitGen: 0, armedFor: null };
}

function refused(ch: SimCharger, action: string, why: string): 'Rejected' {
  // Expected: a CSMS may race a transaction's end; the count shows a CSMS that keeps sending what a charger refuses.
  ch.ctx.metrics.error(`ocpp.in.${action}: Rejected (${why.slice(0, 80)})`, true);
  return 'Rejected';
}

/**
 * The StartTransaction of `tx` is queued or on the wire, its answer not handled yet. A CSMS answers and
 * then sends the transaction's TxProfile: both can arrive in one read, and the CALL is then handled
 * before the answer's continuation. On the wire the answer came first, so the charger takes the
 * profile as its transaction's.
 */
function answerInFlight(ch: SimCharger, tx: Tx): boolean {
  return tx.transactionId === null && ch.outbox.has(tx, 'StartTransaction');
}

/** `loadmgmt.rebalance`: the first TxProfile for a transaction since its StartTransaction was answered. */
function noteRebalance(ch: SimCharger, connectorId: number, profile: ChargingProfile, at: number): void {
  if (profile.chargingProfilePurpose !== 'TxProfile') return;
  const tx = ch.connectors[connectorId - 1]?.tx;
  if (!tx || tx.txProfileSeen) return;
  if (profile.transactionId !== undefined && tx.transactionId !== null && profile.transactionId !== tx.transactionId) return;
  if (tx.awaitingProfileSince !== null) {
    const waited = at - tx.awaitingProfileSince;
    tx.awaitingProfileSince = null;
    tx.txProfileSeen = true;
    if (waited <= REBALANCE_WAIT_MS) ch.ctx.metrics.latency('loadmgmt.rebalance', waited);
    else ch.ctx.metrics.counters.rebalanceTimeouts++;
  } else if (running(tx) && answerInFlight(ch, tx) && ch.ctx.sites.managed(ch)) {
    // It came right behind the answer (see answerInFlight).
    tx.txProfileSeen = true;
    ch.ctx.metrics.latency('loadmgmt.rebalance', 0);
  }
}

/** SetChargingProfile (E2 §5.16): Rejected by the rules, the charger's caps, or a TxProfile without its transaction. */
export function setChargingProfile(ch: SimCharger, req: SetChargingProfileRequest): ChargingProfileStatus {
  const at = performance.now();
  const { connectorId, csChargingProfiles: profile } = req;
  noteRebalance(ch, connectorId, profile, at);
  const why = refusal(ch, connectorId, profile);
  if (why) return refused(ch, 'SetChargingProfile', why);
  let tx: Tx | null = null;
  if (profile.chargingProfilePurpose === 'TxProfile') {
    // E2 §3.13.1, §5.16: a TxProfile only for the transaction running on that connector.
    const current = ch.connectors[connectorId - 1].tx;
    if (!running(current) || (current.transactionId === null && !answerInFlight(ch, current))) return refused(ch, 'SetChargingProfile', 'TxProfile without a running transaction');
    if (profile.transactionId !== undefined && current.transactionId !== null && profile.transactionId !== current.transactionId) return refused(ch, 'SetChargingProfile', 'TxProfile for another transaction');
    tx = current;
  }
  hold(ch, connectorId, profile, tx, at);
  applyLimits(ch, at);
  return 'Accepted';
}

/** ClearChargingProfile (E2 §5.5): every profile matching all the criteria given goes; Unknown when none matched. */
export function clearChargingProfile(ch: SimCharger, req: ClearChargingProfileRequest): ClearChargingProfileStatus {
  const smart = ch.smart;
  if (!smart) return 'Unknown';
  const matches = (h: Held) => (req.id === undefined || h.profile.chargingProfileId === req.id)
    && (req.connectorId === undefined || h.connectorId === req.connectorId)
    && (req.chargingProfilePurpose === undefined || h.profile.chargingProfilePurpose === req.chargingProfilePurpose)
    && (req.stackLevel === undefined || h.profile.stackLevel === req.stackLevel);
  const kept = smart.profiles.filter((h) => !matches(h));
  if (kept.length === smart.profiles.length) return 'Unknown';
  smart.profiles = kept;
  applyLimits(ch, performance.now());
  return 'Accepted';
}

/** GetCompositeSchedule (E2 §5.7): from now for `duration` s, in the unit asked for (else the first one the charger allows). */
export function getCompositeSchedule(ch: SimCharger, req: GetCompositeScheduleRequest): GetCompositeScheduleResponse {
  if (req.connectorId < 0 || req.connectorId > ch.connectors.length) return { status: 'Rejected' };
  const units = allowedUnits(ch);
  const unit: ChargingRateUnit = req.chargingRateUnit ?? (units[0] === 'Power' ? 'W' : 'A');
  if (!units.includes(UNIT_NAME[unit])) return { status: 'Rejected' };
  const schedule = compositeSchedule(compositeInput(ch), req.connectorId, wallNow(ch, performance.now()), req.duration, unit);
  return { status: 'Accepted', connectorId: req.connectorId, scheduleStart: schedule.startSchedule, chargingSchedule: schedule };
}

/** Why a RemoteStartTransaction's chargingProfile is refused (E2 §5.11: a TxProfile, for the transaction it starts); null when it is taken. */
export function remoteStartRefusal(ch: SimCharger, connectorIndex: number, profile: ChargingProfile | undefined): string | null {
  if (!profile) return null;
  let why: string | null;
  if (profile.chargingProfilePurpose !== 'TxProfile') why = 'the chargingProfile of a RemoteStartTransaction is a TxProfile';
  else if (profile.transactionId !== undefined) why = 'the transaction of a RemoteStartTransaction has no transactionId yet';
  else why = refusal(ch, connectorIndex + 1, profile);
  if (why) refused(ch, 'RemoteStartTransaction', why);
  return why;
}

/** Holds a RemoteStartTransaction's TxProfile (checked by remoteStartRefusal) for the transaction claimed on connector index `i`. */
export function holdRemoteStartProfile(ch: SimCharger, i: number, profile: ChargingProfile | undefined): void {
  const tx = ch.connectors[i].tx;
  if (profile && tx) hold(ch, i + 1, profile, tx, performance.now());
}

/** A transaction ended (or never began): its TxProfiles go (E2 §3.13.1), and a rebalance it still waited for counts as missed. */
export function transactionEnded(ch: SimCharger, tx: Tx, at: number): void {
  if (tx.awaitingProfileSince !== null) {
    tx.awaitingProfileSince = null;
    ch.ctx.metrics.counters.rebalanceTimeouts++;
  }
  if (ch.smart) ch.smart.profiles = ch.smart.profiles.filter((h) => h.tx !== tx);
  applyLimits(ch, at);
}

/**
 * Sets each running transaction's limit from the composite schedule now, after accruing its energy
 * at the old one: its TxProfile or TxDefaultProfile, and a ChargePointMaxProfile shared out so that
 * no connector gets more than it would draw and the rest is split evenly. Arms the K_LIMIT timer
 * for the next boundary, and tells the site what the charger draws now.
 */
export function applyLimits(ch: SimCharger, at: number): void {
  const txs: Tx[] = [];
  // Called from the K_LIMIT timer too: the boundary it was armed for has come.
  if (ch.smart && ch.smart.armedFor !== null && ch.smart.armedFor <= wallNow(ch, at)) ch.smart.armedFor = null;
  for (const c of ch.connectors) {
    if (!running(c.tx)) continue;
    advance(ch, c, at);
    txs.push(c.tx);
  }
  const smart = ch.smart;
  if (smart && smart.profiles.length > 0) {
    const input = compositeInput(ch);
    const now = wallNow(ch, at);
    for (let i = 0; i < ch.connectors.length; i++) {
      const tx = ch.connectors[i].tx;
      if (!running(tx)) continue;
      const limit = txLimitAt(input, i + 1, now);
      tx.limitW = limit ? Math.floor(limit.w) : Infinity;
    }
    const cap = chargePointMaxAt(input, now);
    if (cap) share(cap.w, txs);
    // Re-armed only when the boundary moved: a sample every few seconds must not pile up timers due in days.
    const next = nextChange(input, now);
    if (next !== smart.armedFor) {
      smart.limitGen++;
      smart.armedFor = next;
      if (next !== null) ch.ctx.scheduler.at(at + (next - now), K_LIMIT, ch, smart.limitGen);
    }
  } else {
    for (const tx of txs) tx.limitW = Infinity;
  }
  let w = 0;
  for (const tx of txs) w += deliveredW(tx);
  ch.ctx.sites.update(ch, w);
}

/** Water-filling: the smallest draws are met first, the rest of `capW` is split evenly among the others. */
function share(capW: number, txs: Tx[]): void {
  const wants = txs.map((tx) => deliveredW(tx));
  if (wants.reduce((a, b) => a + b, 0) <= capW) return;
  const order = txs.map((_, k) => k).sort((a, b) => wants[a] - wants[b]);
  let left = capW;
  let n = txs.length;
  for (const k of order) {
    const give = Math.min(wants[k], left / n);
    txs[k].limitW = Math.floor(give);
    left -= give;
    n--;
  }
}
