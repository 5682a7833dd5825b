/**
 * Turns the frames of one charger connection into OCPP events for the broker. A CALL and the answer
 * we sent become one event (so the processor sees request and response together); the charger's
 * answers to our commands and frames we could not accept become events of their own.
 *
 * The CALLs whose answer promises that something is kept (handlers/index.ts: `durably`: Boot,
 * Start/StopTransaction, MeterValues, StatusNotification) publish their event themselves, before
 * answering, through `publishCall`, and answer only once the broker says it is durable. The rest are
 * published once the answer has left (fire and forget: a crash in between loses a log row, nothing
 * a charger relies on).
 */
import { newEventId } from './event-id.ts';
import { MessageType, type CallWithAnswer, type ChargePointToCsms, type OcppMessageInfo, type OcppProtocolErrorInfo } from '../../ocpp/index.ts';
import type { Broker, Clock } from '../domain/ports.ts';
import type { OcppEvent } from '../domain/types.ts';
import type { ChargerState } from './charger-state.ts';

export interface EventPublisherDeps {
  broker: Broker;
  clock: Clock;
  nodeId: string;
  /** An event that could not be made durable (the broker refused it: a full disk, a closed broker). */
  onLost?: (err: unknown, event: OcppEvent) => void;
}

/**
 * A CALL we answer with a CALLRESULT, typed by its action. The one place where frames become typed
 * events: the connection hands a CALL to its action's handler only once it passed that action's
 * schema, and the response is that handler's typed return.
 */
function answered(action: string, request: unknown, response: unknown): CallWithAnswer<ChargePointToCsms> {
  return { action, request, response } as CallWithAnswer<ChargePointToCsms>;
}

export function createEventPublisher({ broker, clock, nodeId, onLost }: EventPublisherDeps) {
  const now = () => clock.now().toISOString();
  function fire(event: OcppEvent): void {
    broker.publishEvent(event).catch((err: unknown) => onLost?.(err, event));
  }
  return {
    /**
     * Publishes a CALL with the answer we are about to send, and resolves once the event is
     * durable; the answer must wait for it. Rejects if it cannot be made durable.
     */
    publishCall(state: ChargerState, messageId: string, action: string, request: unknown, response: unknown, applied = false): Promise<void> {
      const call = state.inFlight.get(messageId);
      state.inFlight.delete(messageId);
      return broker.publishEvent({
        eventId: newEventId(),
        chargePointId: state.identity,
        nodeId,
        receivedAt: call?.receivedAt ?? now(),
        kind: 'call',
        messageId,
        ...answered(action, request, response),
        error: null,
        ...(applied && { applied }),
      });
    },

    /** The connection's onMessage hook: pairs our answers with the CALL they answer. */
    onMessage(state: ChargerState, info: OcppMessageInfo): void {
      if (info.messageType === 0) return; // reported through onProtocolError with the reason
      if (info.direction === 'in') {
        if (info.messageType === MessageType.CALL) {
          state.inFlight.set(info.messageId!, { action: info.action!, request: info.payload, receivedAt: now() });
          return;
        }
        // The charger's CALLRESULT / CALLERROR to one of our commands.
        fire({
          eventId: newEventId(),
          chargePointId: state.identity,
          nodeId,
          receivedAt: now(),
          kind: info.messageType === MessageType.CALLRESULT ? 'callresult' : 'callerror',
          action: info.action,
          messageId: info.messageId!,
          payload: info.messageType === MessageType.CALLRESULT ? info.payload : null,
          error: info.error ? { ...info.error, details: info.payload } : null,
          latencyMs: info.latencyMs,
        });
        return;
      }
      if (info.messageType === MessageType.CALL) {
        fire({ eventId: newEventId(), chargePointId: state.identity, nodeId, receivedAt: now(), kind: 'command', action: info.action!, messageId: info.messageId!, payload: info.payload });
        return;
      }
      const call = info.messageId === null ? undefined : state.inFlight.get(info.messageId);
      // No CALL to pair with: published before the answer (publishCall), or the answer to a
      // malformed frame (reported through onProtocolError).
      if (!call) return;
      state.inFlight.delete(info.messageId!);
      const base = { eventId: newEventId(), chargePointId: state.identity, nodeId, receivedAt: call.receivedAt, kind: 'call', messageId: info.messageId! } as const;
      fire(info.messageType === MessageType.CALLRESULT
        ? { ...base, ...answered(call.action, call.request, info.payload), error: null }
        : { ...base, action: call.action, request: call.request, response: null, error: info.error ?? { code: 'GenericError', description: '' } });
    },

    /** Frames we could not accept: logged with the reason, so an admin can see what the charger sent. */
    onProtocolError(state: ChargerState, info: OcppProtocolErrorInfo): void {
      if (info.kind === 'invalid-own-response' || info.kind === 'socket-error') return;
      if (info.kind === 'invalid-request' || info.kind === 'overload') return; // answered with a CALLERROR: logged by onMessage
      fire({
        eventId: newEventId(),
        chargePointId: state.identity,
        nodeId,
        receivedAt: now(),
        kind: 'invalid',
        raw: (info.raw ?? '').slice(0, 2000),
        reason: `${info.kind}: ${info.reason}`,
        answer: info.code && info.messageId ? [MessageType.CALLERROR, info.messageId, info.code, info.reason, {}] : null,
      });
    },

    /** The connection was closed for flooding: one row in the charger's message log says why. */
    flood(state: ChargerState, reason: string): void {
      fire({ eventId: newEventId(), chargePointId: state.identity, nodeId, receivedAt: now(), kind: 'invalid', raw: '', reason, answer: null });
    },

    connection(state: ChargerState, kind: 'connected' | 'disconnected', remoteAddress: string | null, reason: string | null): void {
      fire({ eventId: newEventId(), chargePointId: state.identity, nodeId, receivedAt: now(), kind, remoteAddress, reason });
    },
  };
}

export type EventPublisher = ReturnType<typeof createEventPublisher>;
