import type { CallContext, StartTransactionRequest, StartTransactionResponse } from '../../../ocpp/index.ts';
import type { ChargerState } from '../charger-state.ts';
import type { HandlerDeps } from './context.ts';

/**
 * The transactionId is committed to SQLite before this returns, so the CALLRESULT never names an id
 * that a crash could forget. Refusals are a CALLRESULT with idTagInfo.status, never a CALLERROR
 * (chargers retry CALLERRORs and stall their queue).
 */
export function startTransaction(deps: HandlerDeps) {
  return (req: StartTransactionRequest, ctx: CallContext<ChargerState>): StartTransactionResponse => {
    const { transactionId, idTagInfo } = deps.charging.startTransaction(ctx.connection.context.identity, req);
    return { transactionId, idTagInfo };
  };
}
