import type { CsmsConfig } from '../../config.ts';
import type { Charging } from '../../domain/charging.ts';
import type { Broker, Clock, Store } from '../../domain/ports.ts';
import type { EventPublisher } from '../events.ts';

/** What the per-action handlers may use; they answer synchronously what must be answered now. */
export interface HandlerDeps {
  config: CsmsConfig;
  store: Store;
  charging: Charging;
  clock: Clock;
  broker: Broker;
  /** Publishes a CALL's event before its answer (see `durably`). */
  events: EventPublisher;
  /** A BootNotification was answered Accepted. */
  onBooted?: (chargePointId: string) => void;
}
