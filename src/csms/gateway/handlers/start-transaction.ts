import type { CallContext, StartTransactionRequest, StartTransactionResponse } from '../../../ocpp/index.ts';
import type { ChargerState } from '../charger-state.ts';
import type { HandlerDeps } from './context.ts';

/**
 * The transactionId is committed to SQLite before this returns, so the CALLRESULT never names an id
 * that a crash could forget. Refusals are a CALLRESULT with idTagInfo.status, never a CALLERROR
 * (chargers retry CALLERRORs and stall their queue). A session this start supersedes on the same
 * connector was closed in the same transaction; its notifications go out now.
 */
export function startTransaction(deps: HandlerDeps) {
  return async (req: StartTransactionRequest, ctx: CallContext<ChargerState>): Promise<StartTransactionResponse> => {
    const receivedAt = deps.clock.now().toISOString();
    const { transactionId, idTagInfo, notifications } = await deps.charging.startTransaction(ctx.connection.context.identity, req, receivedAt);
    for (const n of notifications) deps.broker.publishNotification(n);
    return { transactionId, idTagInfo };
  };
}
