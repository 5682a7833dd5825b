import type { AuthorizeRequest, AuthorizeResponse, CallContext } from '../../../ocpp/index.ts';
import type { ChargerState } from '../charger-state.ts';
import type { HandlerDeps } from './context.ts';

/** TC_023: unknown → Invalid, blocked or without credit → Blocked. */
export function authorize(deps: HandlerDeps) {
  return async (req: AuthorizeRequest, ctx: CallContext<ChargerState>): Promise<AuthorizeResponse> => ({
    idTagInfo: await deps.charging.authorize(req.idTag, ctx.connection.context.identity),
  });
}
