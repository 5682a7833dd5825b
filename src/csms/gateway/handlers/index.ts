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

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyHandler = (payload: any, ctx: CallContext<ChargerState>) => unknown;

/** JE §3.10: until a BootNotification was accepted, every other CALL gets SecurityError. */
function requireAccepted<H extends AnyHandler>(handler: H): H {
  return ((payload: never, ctx: CallContext<ChargerState>) => {
    if (!ctx.connection.context.accepted) throw new OcppError('SecurityError', 'BootNotification has not been accepted yet');
    return handler(payload, ctx);
  }) as H;
}

/** One handler per Core action the charger may send, shared by every connection. */
export function createHandlers(deps: HandlerDeps): HandlerMap<ChargePointToCsms, ChargerState> {
  return {
    BootNotification: bootNotification(deps),
    Heartbeat: requireAccepted(heartbeat(deps)),
    Authorize: requireAccepted(authorize(deps)),
    StartTransaction: requireAccepted(startTransaction(deps)),
    StopTransaction: requireAccepted(stopTransaction(deps)),
    StatusNotification: requireAccepted(emptyAnswer),
    MeterValues: requireAccepted(emptyAnswer),
    DataTransfer: requireAccepted(dataTransfer),
  };
}

/** 1.6 actions outside Core: firmware and diagnostics notices are acknowledged, the rest NotSupported. */
export const otherActions = requireAccepted((_payload: Payload, ctx: CallContext<ChargerState>): object => {
  if (ctx.action === 'DiagnosticsStatusNotification' || ctx.action === 'FirmwareStatusNotification') return emptyAnswer();
  throw new OcppError('NotSupported', `${ctx.action} is not supported by this CSMS`);
});
