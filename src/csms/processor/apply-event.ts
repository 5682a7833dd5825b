/**
 * What one accepted OCPP event changes: sessions, meter values, billing, charger and connector
 * state, the message log. Runs inside the processor's transaction; returns the notifications to send
 * once that transaction has committed.
 */
import { MessageType } from '../../ocpp/frames.ts';
import type { AutoStop, Charging } from '../domain/charging.ts';
import { applyBootFirmware, applyDiagnosticsStatus, applyFirmwareStatus } from '../domain/device-jobs.ts';
import { notify, sessionNotifications } from '../domain/notifications.ts';
import type { Store } from '../domain/ports.ts';
import { useReservation } from '../domain/reservations.ts';
import { normalizeTime } from '../domain/readings.ts';
import type { Notification, OcppAnswerEvent, OcppCallEvent, OcppEvent, OcppMessageLogEntry } from '../domain/types.ts';

export interface ApplyContext {
  store: Store;
  charging: Charging;
  now: string;
  log: Omit<OcppMessageLogEntry, 'id'>[];
  notes: Notification[];
  /** Charge point → epoch ms of its last last_seen_at write (throttles a write per message). */
  seen: Map<string, number>;
  /** Transactions to ask the charger to stop once the batch is committed. */
  stops: AutoStop[];
}

const SEEN_WRITE_INTERVAL_MS = 5000;

/** Records a sign of life, at most every few seconds per charge point. */
async function touch(cp: string, at: string, ctx: ApplyContext): Promise<void> {
  const ms = Date.parse(at);
  const last = ctx.seen.get(cp);
  if (last !== undefined && ms - last < SEEN_WRITE_INTERVAL_MS) return;
  ctx.seen.set(cp, ms);
  await ctx.store.chargePoints.touch(cp, at);
}

export async function applyEvent(ev: OcppEvent, ctx: ApplyContext): Promise<void> {
  switch (ev.kind) {
    case 'call':
      return await applyCall(ev, ctx);
    case 'callresult':
    case 'callerror':
      return applyAnswer(ev, ctx);
    case 'command':
      ctx.log.push({ chargePointId: ev.chargePointId, direction: 'out', messageType: MessageType.CALL, action: ev.action, messageId: ev.messageId, payload: ev.payload, latencyMs: null, createdAt: ev.receivedAt });
      ctx.notes.push(notify('ocpp.message', { chargePointId: ev.chargePointId, direction: 'out', action: ev.action, messageId: ev.messageId, request: ev.payload, at: ev.receivedAt }, ctx.now, { chargePointId: ev.chargePointId }));
      return;
    case 'invalid':
      ctx.log.push({ chargePointId: ev.chargePointId, direction: 'in', messageType: 0, action: null, messageId: null, payload: { raw: ev.raw, reason: ev.reason }, latencyMs: null, createdAt: ev.receivedAt });
      if (ev.answer) ctx.log.push({ chargePointId: ev.chargePointId, direction: 'out', messageType: MessageType.CALLERROR, action: null, messageId: null, payload: ev.answer, latencyMs: null, createdAt: ev.receivedAt });
      return;
    case 'connected':
    case 'disconnected': {
      const online = ev.kind === 'connected';
      if (!await ctx.store.chargePoints.get(ev.chargePointId)) return;
      // A charger that moved to another node is still online: its old node's goodbye is stale.
      const holder = await ctx.store.chargePoints.nodeOf(ev.chargePointId);
      if (!online && holder !== null && holder !== ev.nodeId) return;
      await ctx.store.chargePoints.setOnline(ev.chargePointId, online, ev.receivedAt);
      await chargerStatus(ev.chargePointId, ctx, { online, reason: ev.reason });
      return;
    }
  }
}

async function applyCall(ev: OcppCallEvent, ctx: ApplyContext): Promise<void> {
  const { store, charging } = ctx;
  const cp = ev.chargePointId;
  const answerType = ev.error ? MessageType.CALLERROR : MessageType.CALLRESULT;
  ctx.log.push(
    { chargePointId: cp, direction: 'in', messageType: MessageType.CALL, action: ev.action, messageId: ev.messageId, payload: ev.request, latencyMs: null, createdAt: ev.receivedAt },
    { chargePointId: cp, direction: 'out', messageType: answerType, action: ev.action, messageId: ev.messageId, payload: ev.error ?? ev.response, latencyMs: null, createdAt: ev.receivedAt },
  );
  ctx.notes.push(notify('ocpp.message', { chargePointId: cp, direction: 'in', action: ev.action, messageId: ev.messageId, request: ev.request, response: ev.error ?? ev.response, responseType: answerType, at: ev.receivedAt }, ctx.now, { chargePointId: cp }));
  if (ev.error) return;
  await touch(cp, ev.receivedAt, ctx);
  switch (ev.action) {
    case 'BootNotification': {
      // The gateway recorded the boot before answering (registration must not wait for a queue,
      // nor be overwritten by a queued event after an admin changed it). What is left: a reboot
      // ends every transaction the charger had open; those it does not stop, the CSMS closes.
      if (!await store.chargePoints.get(cp)) return;
      ctx.notes.push(...await charging.closeAbandoned(cp, 'reboot', ev.receivedAt));
      await chargerStatus(cp, ctx, { online: true, booted: true });
      ctx.notes.push(...await applyBootFirmware(store, cp, ev.request.firmwareVersion ?? null, ev.receivedAt));
      return;
    }
    case 'FirmwareStatusNotification':
      ctx.notes.push(...await applyFirmwareStatus(store, cp, ev.request.status, ev.receivedAt));
      return;
    case 'DiagnosticsStatusNotification':
      ctx.notes.push(...await applyDiagnosticsStatus(store, cp, ev.request.status, ev.receivedAt));
      return;
    case 'StartTransaction': {
      const session = await store.sessions.get(ev.response.transactionId);
      if (session && ev.response.idTagInfo.status === 'Accepted') {
        ctx.notes.push(...sessionNotifications('charging.started', session, ctx.now));
        ctx.notes.push(...await useReservation(store, cp, ev.request, session.id, ctx.now));
      }
      return;
    }
    case 'StopTransaction': {
      // Applied by the gateway before it answered; only an event from an older version is applied here.
      if (!ev.applied) ctx.notes.push(...(await charging.stopTransaction(cp, ev.request, ev.receivedAt)).notifications);
      return;
    }
    case 'MeterValues': {
      const applied = await charging.applyMeterValues(cp, ev.request, ev.receivedAt);
      ctx.notes.push(...applied.notifications);
      if (applied.stop) ctx.stops.push(applied.stop);
      return;
    }
    case 'StatusNotification': {
      const s = ev.request;
      if (!await store.chargePoints.get(cp)) return;
      const at = s.timestamp === undefined ? ev.receivedAt : normalizeTime(s.timestamp);
      await store.chargePoints.upsertConnector({ chargePointId: cp, connectorId: s.connectorId, status: s.status, errorCode: s.errorCode, info: s.info ?? null }, at);
      // A connector that is Available has no transaction: one still open here was lost by the charger.
      if (s.status === 'Available' && s.connectorId > 0) ctx.notes.push(...await charging.closeAbandoned(cp, 'available', ev.receivedAt, s.connectorId));
      const active = await store.sessions.activeOnConnector(cp, s.connectorId);
      const recipients = active?.customerId != null ? [active.customerId] : [];
      const data = { chargePointId: cp, connectorId: s.connectorId, status: s.status, errorCode: s.errorCode, info: s.info ?? null, at };
      ctx.notes.push(notify('connector.status', data, ctx.now, { customers: recipients, chargePointId: cp }));
      if (s.connectorId === 0) await chargerStatus(cp, ctx, { status: s.status, errorCode: s.errorCode });
      return;
    }
    default:
      return; // Heartbeat, Authorize, DataTransfer: logged above, nothing else to keep.
  }
}

function applyAnswer(ev: OcppAnswerEvent, ctx: ApplyContext): void {
  const answerType = ev.kind === 'callresult' ? MessageType.CALLRESULT : MessageType.CALLERROR;
  ctx.log.push({
    chargePointId: ev.chargePointId,
    direction: 'in',
    messageType: answerType,
    action: ev.action,
    messageId: ev.messageId,
    payload: ev.error ?? ev.payload,
    latencyMs: ev.latencyMs,
    createdAt: ev.receivedAt,
  });
  ctx.notes.push(notify('ocpp.message', { chargePointId: ev.chargePointId, direction: 'in', action: ev.action, messageId: ev.messageId, response: ev.error ?? ev.payload, responseType: answerType, at: ev.receivedAt }, ctx.now, { chargePointId: ev.chargePointId }));
}

async function chargerStatus(cp: string, ctx: ApplyContext, data: Record<string, unknown>): Promise<void> {
  const point = await ctx.store.chargePoints.get(cp);
  const payload = { chargePointId: cp, stationId: point?.stationId ?? null, online: point?.online ?? false, registrationStatus: point?.registrationStatus, ...data };
  ctx.notes.push(notify('charger.status', payload, ctx.now, { chargePointId: cp }));
  if (point?.stationId != null) {
    // A station of a thousand chargers must not be listed on every connect and disconnect.
    const online = await ctx.store.chargePoints.stationOnline(point.stationId);
    ctx.notes.push(notify('station.status', { stationId: point.stationId, online }, ctx.now));
  }
}
