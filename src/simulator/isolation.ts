/**
 * The isolation check: everything a customer receives must be about that customer (its id, its
 * sessions, its wallet) or public (connector, charger and station status). Anything else is a leak.
 */
import type { Metrics } from './metrics.ts';

export interface Recipient {
  readonly id: number;
  /** Session ids known to be this customer's. */
  readonly sessions: Set<number>;
}

export interface WireNotification {
  id?: string;
  type: string;
  data?: Record<string, any> | null;
  timestamp?: string;
}

/** Records a leak and returns false when `n` is not for `me`; learns `me`'s session ids on the way. */
export function checkIsolation(me: Recipient, n: WireNotification, metrics: Metrics): boolean {
  const d = n.data ?? {};
  const customerId = d.customerId ?? d.entry?.customerId ?? d.customer?.id ?? null;
  const sessionId = d.sessionId ?? d.transactionId ?? d.entry?.sessionId ?? null;
  const foreignCustomer = customerId !== null && customerId !== me.id;
  const foreignSession = customerId === null && sessionId !== null && !me.sessions.has(sessionId);
  if (foreignCustomer || foreignSession) {
    const ids: Record<string, unknown> = {};
    if (customerId !== null) ids.customerId = customerId;
    if (sessionId !== null) ids.sessionId = sessionId;
    if (d.chargePointId !== undefined) ids.chargePointId = d.chargePointId;
    if (n.id) ids.notificationId = n.id;
    metrics.leak({ customerId: me.id, type: n.type, ids, at: Date.now() });
    return false;
  }
  if (customerId === me.id && typeof sessionId === 'number') me.sessions.add(sessionId);
  return true;
}
