import { OcppError, type CallContext, type ChargePointToCsms, type HandlerMap, type Payload } from '../../../ocpp/index.ts';
import type { ChargerState } from '../charger-state.ts';
import { authorize } from './authorize.ts';
import { bootNotification } from './boot-notification.ts';
import type { HandlerDeps } from './context.ts';
import { heartbeat } from './heartbeat.ts';
import { dataTransfer, emptyAnswer } from './notifications.ts';
import { startTransaction } from './start-transaction.ts';
import { stopTransaction } from './stop-transaction.ts';

export type { HandlerDeps } from './context.ts';

type AnyHandler = (payload: any, ctx: CallContext<ChargerState>) => unknown;

/** JE §3.10: until a BootNotification was accepted, every other CALL gets SecurityError. */
function requireAccepted<H extends AnyHandler>(handler: H): H {
  return ((payload: never, ctx: CallContext<ChargerState>) => {
    if (!ctx.connection.context.accepted) throw new OcppError('SecurityError', 'BootNotification has not been accepted yet');
    return handler(payload, ctx);
  }) as H;
}

/**
 * When the pipeline is saturated the answer waits until it has drained: the charger's next CALL
 * waits with it (one outstanding CALL, J §4.1.1), which is how chargers feel backpressure.
 */
function whenDrained<H extends AnyHandler>(deps: HandlerDeps, handler: H): H {
  return ((payload: unknown, ctx: CallContext<ChargerState>) => {
    const pressure = deps.broker.pressure();
    return pressure ? pressure.then(() => handler(payload, ctx)) : handler(payload, ctx);
  }) as H;
}

/**
 * Answers only once the CALL's event is durable (journal, outbox or broker confirm): an answer to a
 * transaction-related message (E2 §4.8) tells the charger it may forget it, so it must not be lost.
 * The same for what may end a session or move its meter (BootNotification, StatusNotification, any
 * MeterValues). `applied`: the handler already wrote it to the store; the processor only logs it.
 */
function durably<H extends AnyHandler>(deps: HandlerDeps, handler: H, applied = false): H {
  return ((payload: never, ctx: CallContext<ChargerState>) => {
    return Promise.resolve(handler(payload, ctx) as object | Promise<object>).then((answer) =>
      deps.events.publishCall(ctx.connection.context, ctx.messageId, ctx.action, payload, answer, applied).then(() => answer),
    );
  }) as H;
}

/** One handler per Core action the charger may send, shared by every connection. */
export function createHandlers(deps: HandlerDeps): HandlerMap<ChargePointToCsms, ChargerState> {
  const wrap = <H extends AnyHandler>(h: H): H => whenDrained(deps, requireAccepted(h));
  return {
    BootNotification: whenDrained(deps, durably(deps, bootNotification(deps))),
    Heartbeat: wrap(heartbeat(deps)),
    Authorize: wrap(authorize(deps)),
    StartTransaction: wrap(durably(deps, startTransaction(deps))),
    StopTransaction: wrap(durably(deps, stopTransaction(deps), true)),
    StatusNotification: wrap(durably(deps, emptyAnswer)),
    MeterValues: wrap(durably(deps, emptyAnswer)),
    DataTransfer: wrap(dataTransfer),
    // Durable: each moves a firmware or diagnostics job (domain/device-jobs.ts), in the processor.
    FirmwareStatusNotification: wrap(durably(deps, emptyAnswer)),
    DiagnosticsStatusNotification: wrap(durably(deps, emptyAnswer)),
  };
}

/** 1.6 actions this CSMS has no handler for: NotSupported. */
export const otherActions = requireAccepted((_payload: Payload, ctx: CallContext<ChargerState>): object => {
  throw new OcppError('NotSupported', `${ctx.action} is not supported by this CSMS`);
});
