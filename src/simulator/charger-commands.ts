/**
 * How every simulated charger answers the CSMS's commands (E2 §5): as a charger would, first the
 * answer, then what it does (a RemoteStart's transaction, a Reset's reboot, a triggered message).
 * One handler map for the whole fleet; the charger is the connection's context.
 */
import { performance } from 'node:perf_hooks';
import {
  MessageType, type AvailabilityStatus, type AvailabilityType, type ChargePointStatus, type CsmsToChargePoint, type HandlerMap,
  type MessageTrigger, type OcppMessageInfo, type OcppProtocolErrorInfo, type TriggerMessageStatus, type UnlockStatus,
} from '../ocpp/index.ts';
import type { SimCharger } from './charger.ts';
import { getDiagnostics, triggerFirmwareNotice, updateFirmware } from './charger/firmware.ts';
import { clearChargingProfile, getCompositeSchedule, holdRemoteStartProfile, remoteStartRefusal, setChargingProfile } from './charger/smart-charging.ts';
import { clearCache } from './charger/auth-cache.ts';
import { localListVersion, sendLocalList } from './charger/local-list.ts';
import { reportError, type SimContext } from './context.ts';
import { cancelReservation, mayStart, reserveNow } from './charger/reservation.ts';

/** Message ids of frames we break on purpose start with this, so their answers are not errors. */
export const MALFORMED_PREFIX = 'mf';

/** What every charger of a fleet shares: one handler map and one hook of each kind (no closures per charger). */
export interface FleetShared {
  handlers: HandlerMap<CsmsToChargePoint, SimCharger>;
  onMessage: (info: OcppMessageInfo) => void;
  onProtocolError: (info: OcppProtocolErrorInfo) => void;
}

function startLater(charger: SimCharger, i: number, at: number): void {
  const tx = charger.connectors[i].tx;
  // AuthorizeRemoteTxRequests (E2 §9.1.3): authorise the idTag first, as for a card at the charger.
  if (tx) void charger.runStart(i, tx, charger.config.value('AuthorizeRemoteTxRequests') === 'true' ? 'rfid' : 'app', at);
}

function stopLater(charger: SimCharger, i: number, at: number): void {
  charger.stop(i, 'Remote', at);
}

/** How long an UnlockConnector waits for its StopTransaction's answer before it answers anyway. */
const UNLOCK_STOP_WAIT_MS = 5000;

/**
 * UnlockConnector (E2 §5.18): "if there was a transaction in progress on the specific connector, the
 * Charge Point SHALL finish the transaction first": its StopTransaction (UnlockCommand) is queued,
 * and the answer Unlocked waits until the CSMS answered it (CALLs of the two sides may cross, J §4.1.1).
 */
async function unlock(charger: SimCharger, connectorId: number): Promise<UnlockStatus> {
  const tx = charger.connectors[connectorId - 1]?.tx;
  if (!charger.connectors[connectorId - 1]) return 'NotSupported';
  if (!tx) return 'Unlocked';
  charger.stop(connectorId - 1, 'UnlockCommand');
  const until = performance.now() + UNLOCK_STOP_WAIT_MS;
  while (charger.outbox.has(tx, 'StopTransaction') && charger.link() && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
  return 'Unlocked';
}

/** ChangeAvailability (E2 §5.2): Scheduled while a transaction runs on a connector it makes Inoperative. */
function changeAvailability(charger: SimCharger, connectorId: number, type: AvailabilityType): AvailabilityStatus {
  const { connectors } = charger;
  if (connectorId < 0 || connectorId > connectors.length) return 'Rejected';
  const changes: [number, ChargePointStatus][] = [];
  let scheduled = false;
  if (connectorId === 0) {
    charger.cpUnavailable = type === 'Inoperative';
    changes.push([0, charger.cpStatus()]);
  }
  for (const i of connectorId === 0 ? connectors.map((_, k) => k) : [connectorId - 1]) {
    const c = connectors[i];
    if (type === 'Inoperative') {
      if (c.tx) scheduled = c.unavailableAfterTx = true;
      else if (c.status !== 'Unavailable') changes.push([i + 1, 'Unavailable']);
    } else {
      c.unavailableAfterTx = false;
      if (!c.tx && c.status === 'Unavailable') changes.push([i + 1, 'Available']);
    }
  }
  // Taken at once, so no customer picks the connector now; reported after the answer.
  for (const [id, s] of changes) if (id > 0) connectors[id - 1].status = s;
  if (changes.length > 0) setImmediate(() => { for (const [id, s] of changes) charger.report(id, s); });
  return scheduled ? 'Scheduled' : 'Accepted';
}

const TRIGGERABLE: readonly string[] = ['BootNotification', 'Heartbeat', 'StatusNotification', 'MeterValues', 'FirmwareStatusNotification', 'DiagnosticsStatusNotification'];

/** TriggerMessage (E2 §5.17): the requested message follows the answer. */
function trigger(charger: SimCharger, requested: MessageTrigger, connectorId?: number): TriggerMessageStatus {
  if (connectorId !== undefined && (connectorId < 0 || connectorId > charger.connectors.length)) return 'Rejected';
  if (!TRIGGERABLE.includes(requested)) return 'NotImplemented';
  setImmediate(triggered, charger, requested, connectorId);
  return 'Accepted';
}

function triggered(charger: SimCharger, requested: MessageTrigger, connectorId: number | undefined): void {
  if (!charger.link()) return;
  const now = performance.now();
  const ids = connectorId !== undefined ? [connectorId] : charger.connectors.map((_, i) => i + 1);
  const failed = (action: string) => (error: unknown) => charger.failed(action, error);
  switch (requested) {
    case 'BootNotification': charger.call('BootNotification', charger.bootPayload(), now).catch(failed('BootNotification')); return;
    case 'Heartbeat': charger.call('Heartbeat', {}, now).catch(failed('Heartbeat')); return;
    case 'FirmwareStatusNotification': case 'DiagnosticsStatusNotification': triggerFirmwareNotice(charger, requested); return;
    case 'StatusNotification':
      for (const id of connectorId !== undefined ? ids : [0, ...ids]) charger.report(id, id === 0 ? charger.cpStatus() : charger.connectors[id - 1].status);
      return;
    case 'MeterValues':
      for (const id of ids) {
        if (id > 0 && charger.sampleNow(id - 1, now)) continue;
        // No transaction (or connector 0, the main meter): the register alone, outside the transaction queue.
        const wh = id === 0 ? charger.connectors.reduce((sum, c) => sum + c.registerWh, 0) : charger.connectors[id - 1].registerWh;
        const sampledValue = [{ value: String(Math.floor(wh)), context: 'Trigger', measurand: 'Energy.Active.Import.Register', location: 'Outlet', unit: 'Wh' }];
        charger.call('MeterValues', { connectorId: id, meterValue: [{ timestamp: new Date(charger.timestamp(now)).toISOString(), sampledValue }] }, now).catch(failed('MeterValues'));
      }
  }
}

export function createFleetShared(ctx: SimContext): FleetShared {
  const handlers: HandlerMap<CsmsToChargePoint, SimCharger> = {
    RemoteStartTransaction(req, call) {
      const charger = call.connection.context;
      const usable = (c: SimCharger['connectors'][number], k: number) => c.tx === null && c.status !== 'Faulted' && c.status !== 'Unavailable' && mayStart(charger, k, req.idTag);
      const i = req.connectorId !== undefined ? req.connectorId - 1 : charger.connectors.findIndex(usable);
      const c = charger.connectors[i];
      if (!c || !usable(c, i) || !charger.link() || charger.resetting) return { status: 'Rejected' };
      if (remoteStartRefusal(charger, i, req.chargingProfile)) return { status: 'Rejected' };
      // E2 §5.11: answer first; the transaction's own messages follow.
      charger.claim(i, req.idTag);
      holdRemoteStartProfile(charger, i, req.chargingProfile);
      setImmediate(startLater, charger, i, performance.now());
      return { status: 'Accepted' };
    },
    RemoteStopTransaction(req, call) {
      const charger = call.connection.context;
      const i = charger.connectors.findIndex((c) => c.tx?.transactionId === req.transactionId);
      if (i < 0 || charger.refusesRemoteStop) return { status: 'Rejected' };
      setImmediate(stopLater, charger, i, performance.now());
      return { status: 'Accepted' };
    },
    ChangeAvailability: (req, call) => ({ status: changeAvailability(call.connection.context, req.connectorId, req.type) }),
    ChangeConfiguration: (req, call) => ({ status: call.connection.context.changeConfiguration(req.key, req.value) }),
    GetConfiguration: (req, call) => call.connection.context.config.get(req.key),
    Reset(req, call) {
      const charger = call.connection.context;
      setImmediate(() => charger.reset(req.type));
      return { status: 'Accepted' };
    },
    ClearCache: (_req, call) => ({ status: clearCache(call.connection.context) }),
    SendLocalList: (req, call) => ({ status: sendLocalList(call.connection.context, req) }),
    GetLocalListVersion: (_req, call) => localListVersion(call.connection.context),
    UnlockConnector: async (req, call) => ({ status: await unlock(call.connection.context, req.connectorId) }),
    TriggerMessage: (req, call) => ({ status: trigger(call.connection.context, req.requestedMessage, req.connectorId) }),
    DataTransfer: () => ({ status: 'UnknownVendorId' }),
    ReserveNow: (req, call) => ({ status: reserveNow(call.connection.context, req) }),
    CancelReservation: (req, call) => ({ status: cancelReservation(call.connection.context, req.reservationId) }),
    UpdateFirmware: (req, call) => updateFirmware(call.connection.context, req),
    GetDiagnostics: (req, call) => getDiagnostics(call.connection.context, req),
    SetChargingProfile: (req, call) => ({ status: setChargingProfile(call.connection.context, req) }),
    ClearChargingProfile: (req, call) => ({ status: clearChargingProfile(call.connection.context, req) }),
    GetCompositeSchedule: (req, call) => getCompositeSchedule(call.connection.context, req),
  };
  return {
    handlers,
    onMessage(info) {
      if (info.direction === 'out') ctx.metrics.counters.ocppSent++;
      else ctx.metrics.counters.ocppReceived++;
      // Our answers to the CSMS's commands: time from its CALL's arrival to our CALLRESULT.
      if (info.direction === 'out' && info.messageType !== MessageType.CALL && info.action && info.latencyMs !== null) ctx.metrics.latency(`ocpp.in.${info.action}`, info.latencyMs);
    },
    onProtocolError(info) {
      if (info.messageId?.startsWith(MALFORMED_PREFIX)) return; // the CSMS refusing the frame we broke on purpose
      if (info.kind === 'socket-error') return; // the close that follows is counted
      reportError(ctx, `ocpp.protocol: ${info.kind}`);
    },
  };
}
