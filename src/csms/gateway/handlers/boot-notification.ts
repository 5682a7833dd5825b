import type { BootNotificationRequest, BootNotificationResponse, CallContext } from '../../../ocpp/index.ts';
import type { ChargerState } from '../charger-state.ts';
import type { HandlerDeps } from './context.ts';

/** E2 §4.2: a registered charge point is Accepted unless an admin set it Pending or Rejected. */
export function bootNotification(deps: HandlerDeps) {
  return (_req: BootNotificationRequest, ctx: CallContext<ChargerState>): BootNotificationResponse => {
    const point = deps.store.chargePoints.get(ctx.connection.context.identity);
    const status = point?.registrationStatus === 'Rejected' || point?.registrationStatus === 'Pending' ? point.registrationStatus : 'Accepted';
    if (status === 'Accepted') ctx.connection.context.accepted = true;
    return { status, currentTime: deps.clock.now().toISOString(), interval: deps.config.ocppHeartbeatIntervalS };
  };
}
