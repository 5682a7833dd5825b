import type { CallContext, StopTransactionRequest, StopTransactionResponse } from '../../../ocpp/index.ts';
import type { ChargerState } from '../charger-state.ts';
import type { HandlerDeps } from './context.ts';

/**
 * Applied before the answer, like StartTransaction: the session is completed and billed (once,
 * however often the charger retries) in one transaction, so a StartTransaction or an Available
 * that follows on the same connector always finds it ended, and the driver may start elsewhere at
 * once, even while the broker is away. The event that follows only logs it. An unknown
 * transaction still gets a CALLRESULT: a CALLERROR makes the charger resend it (docs/ocpp-notes.md).
 */
export function stopTransaction(deps: HandlerDeps) {
  return async (req: StopTransactionRequest, ctx: CallContext<ChargerState>): Promise<StopTransactionResponse> => {
    const { notifications } = await deps.charging.stopTransaction(ctx.connection.context.identity, req, deps.clock.now().toISOString());
    for (const n of notifications) deps.broker.publishNotification(n);
    return req.idTag === undefined ? {} : { idTagInfo: await deps.charging.identify(req.idTag) };
  };
}
