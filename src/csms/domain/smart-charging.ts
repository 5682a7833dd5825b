/**
 * Smart Charging commands on the CSMS side: each is checked against the spec's rules
 * (charging-profiles.ts), sent through the command sender (audit and `command.result`), and its
 * outcome kept: a profile the charger accepted is stored for its charge point and connector, one
 * it did not confirm (Rejected, NotSupported, a CALLERROR, no answer, offline) is counted. Both
 * are announced to the point's room.
 */
import type { ChargingProfile, ClearChargingProfileRequest, SetChargingProfileRequest } from '../../ocpp/messages.ts';
import {
  checkClearChargingProfile, checkGetCompositeSchedule, checkRemoteStartProfile, checkSetChargingProfile, type ProfileTarget,
} from './charging-profiles.ts';
import { notify } from './notifications.ts';
import type { Clock, CommandOutcome, CommandSender, ProfileFilter, Store } from './ports.ts';
import type { Notification } from './types.ts';

export interface SmartChargingDeps {
  store: Store;
  commands: CommandSender;
  clock: Clock;
  publish(n: Notification): void;
}

/** The actions whose payloads this module checks (and, for the profile commands, whose outcome it keeps). */
export const SMART_CHARGING_ACTIONS = new Set(['SetChargingProfile', 'ClearChargingProfile', 'GetCompositeSchedule', 'RemoteStartTransaction']);

/** The charger's `status`, or the command's own status when no answer came. */
function outcomeStatus(outcome: CommandOutcome): string {
  if (outcome.status !== 'answered') return outcome.status;
  const status = (outcome.response as { status?: unknown } | null)?.status;
  return typeof status === 'string' ? status : 'answered';
}

export function createSmartCharging({ store, commands, clock, publish }: SmartChargingDeps) {
  const now = () => clock.now().toISOString();

  async function target(chargePointId: string, connectorId: unknown): Promise<ProfileTarget> {
    const connectorIds = (await store.chargePoints.connectors(chargePointId)).map((c) => c.connectorId).filter((id) => id > 0);
    const active = typeof connectorId === 'number' && connectorId > 0 ? await store.sessions.activeOnConnector(chargePointId, connectorId) : null;
    return { connectorIds, activeTransactionId: active?.id ?? null };
  }

  /** Keeps what the charger answered to a SetChargingProfile: the profile, or one more unconfirmed. */
  async function recordSet(chargePointId: string, req: SetChargingProfileRequest, outcome: CommandOutcome, requestedBy: string | null): Promise<void> {
    const at = now();
    const status = outcomeStatus(outcome);
    const profile: ChargingProfile = req.csChargingProfiles;
    const about = { chargePointId, connectorId: req.connectorId, chargingProfileId: profile.chargingProfileId, purpose: profile.chargingProfilePurpose, commandId: outcome.commandId };
    if (status !== 'Accepted') {
      await store.chargingProfiles.recordUnconfirmed(chargePointId, status, at);
      publish(notify('charging_profile.unconfirmed', { ...about, status, unconfirmed: await store.chargingProfiles.unconfirmed(chargePointId) }, at, { chargePointId }));
      return;
    }
    let transactionId = profile.transactionId ?? null;
    if (profile.chargingProfilePurpose === 'TxProfile') {
      // A TxProfile ends with its transaction: one that ended while the charger answered is not kept.
      const running = await store.sessions.activeOnConnector(chargePointId, req.connectorId);
      if (!running || (transactionId !== null && running.id !== transactionId)) return;
      transactionId = running.id;
    }
    // Kept only while the transaction runs: a stop processed while the charger answered (on any
    // node) has removed, or will remove, its profiles; a check above alone would leave this one behind.
    const kept = await store.chargingProfiles.install({
      chargePointId, connectorId: req.connectorId, chargingProfileId: profile.chargingProfileId, stackLevel: profile.stackLevel,
      purpose: profile.chargingProfilePurpose, transactionId, profile, requestedBy, installedAt: at,
    });
    if (!kept) return;
    publish(notify('charging_profile.installed', { ...about, stackLevel: profile.stackLevel, transactionId, profile }, at, { chargePointId }));
  }

  async function recordClear(chargePointId: string, req: ClearChargingProfileRequest, outcome: CommandOutcome): Promise<void> {
    if (outcomeStatus(outcome) !== 'Accepted') return;
    const filter: ProfileFilter = { id: req.id, connectorId: req.connectorId, chargingProfilePurpose: req.chargingProfilePurpose, stackLevel: req.stackLevel };
    const removed = await store.chargingProfiles.clear(chargePointId, filter);
    const at = now();
    publish(notify('charging_profile.cleared', { chargePointId, filter: req, removed, commandId: outcome.commandId }, at, { chargePointId }));
  }

  return {
    /**
     * Checks `payload` against the Smart Charging rules, sends it, and keeps the outcome. Throws
     * CSMS_ERR_VALIDATION (400) or CSMS_ERR_SESSION_NOT_ACTIVE (409) naming the payload field;
     * `own` marks the CSMS's own profiles (load management), whose ids are reserved.
     */
    async send(chargePointId: string, action: string, payload: Record<string, unknown>, opts: { requestedBy?: string; timeoutMs?: number; own?: boolean } = {}): Promise<CommandOutcome> {
      const cp = await target(chargePointId, payload.connectorId);
      switch (action) {
        case 'SetChargingProfile':
          checkSetChargingProfile(payload, cp, { own: opts.own });
          break;
        case 'ClearChargingProfile':
          checkClearChargingProfile(payload, cp);
          break;
        case 'GetCompositeSchedule':
          checkGetCompositeSchedule(payload, cp);
          break;
        case 'RemoteStartTransaction':
          checkRemoteStartProfile(payload.chargingProfile);
          break;
      }
      const outcome = await commands.send(chargePointId, action, payload, { requestedBy: opts.requestedBy, timeoutMs: opts.timeoutMs });
      if (action === 'SetChargingProfile') await recordSet(chargePointId, payload as unknown as SetChargingProfileRequest, outcome, opts.requestedBy ?? null);
      if (action === 'ClearChargingProfile') await recordClear(chargePointId, payload as ClearChargingProfileRequest, outcome);
      return outcome;
    },
  };
}

export type SmartCharging = ReturnType<typeof createSmartCharging>;
