import type { StopTransactionRequest, StopTransactionResponse } from '../../../ocpp/index.ts';
import type { HandlerDeps } from './context.ts';

/**
 * Answered at once; billing happens in the processor, idempotently by transaction. An unknown
 * transaction still gets a CALLRESULT (OCPP16.md: never a CALLERROR for Start/Stop).
 */
export function stopTransaction(deps: HandlerDeps) {
  return (req: StopTransactionRequest): StopTransactionResponse =>
    req.idTag === undefined ? {} : { idTagInfo: deps.charging.identify(req.idTag) };
}
