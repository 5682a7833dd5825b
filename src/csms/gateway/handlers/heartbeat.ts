import type { HeartbeatResponse } from '../../../ocpp/index.ts';
import type { HandlerDeps } from './context.ts';

/** Accepted at any time; the processor records it as a sign of life. */
export function heartbeat(deps: HandlerDeps) {
  return (): HeartbeatResponse => ({ currentTime: deps.clock.now().toISOString() });
}
