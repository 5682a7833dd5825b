import type { BootNotificationRequest, BootNotificationResponse, CallContext } from '../../../ocpp/index.ts';
import type { ChargerState } from '../charger-state.ts';
import type { HandlerDeps } from './context.ts';

/**
 * E2 §4.2: a registered charge point is Accepted unless an admin set it Pending or Rejected.
 * The acceptance is written before the answer: after a restart the charger need not boot again
 * (J §5.4), so the next process must know it was accepted even if the event never got processed.
 * Only the processor's work (closing the sessions the reboot ended) goes through the broker.
 */
export function bootNotification(deps: HandlerDeps) {
  return async (req: BootNotificationRequest, ctx: CallContext<ChargerState>): Promise<BootNotificationResponse> => {
    const identity = ctx.connection.context.identity;
    const now = deps.clock.now().toISOString();
    const point = await deps.store.chargePoints.get(identity);
    const status = point?.registrationStatus === 'Rejected' || point?.registrationStatus === 'Pending' ? point.registrationStatus : 'Accepted';
    if (point) {
      await deps.store.chargePoints.recordBoot(identity, {
        vendor: req.chargePointVendor,
        model: req.chargePointModel,
        serialNumber: req.chargePointSerialNumber ?? req.chargeBoxSerialNumber ?? null,
        firmwareVersion: req.firmwareVersion ?? null,
      }, status, now);
    }
    if (status === 'Accepted') {
      ctx.connection.context.accepted = true;
      // After the answer: a charger takes commands once it is accepted.
      if (deps.onBooted) setImmediate(deps.onBooted, identity);
    }
    return { status, currentTime: now, interval: deps.config.ocppHeartbeatIntervalS };
  };
}
