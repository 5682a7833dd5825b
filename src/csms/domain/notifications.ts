/**
 * Builds the notifications the outside world sees. The emitter says what happened and whom it is
 * about; which rooms that reaches is the routing table's call (notification-routing.ts).
 */
import { randomUUID } from 'node:crypto';
import { route, type NotificationSubject } from './notification-routing.ts';
import type { Notification, NotificationType, Session } from './types.ts';

/** A notification of `type` about `subject`, addressed by the routing table. */
export function notify(type: NotificationType, data: Record<string, unknown>, at: string, subject: NotificationSubject = {}): Notification {
  return { id: randomUUID(), type, data, timestamp: at, ...route(type, subject) };
}

/** The public shape of a session in notifications: enough to render, nothing of other customers. */
export function sessionPayload(s: Session): Record<string, unknown> {
  return {
    sessionId: s.id,
    transactionId: s.id,
    customerId: s.customerId,
    chargePointId: s.chargePointId,
    connectorId: s.connectorId,
    status: s.status,
    energyWh: s.energyWh,
    powerW: s.powerW,
    costMinor: s.costMinor,
    currency: s.currency,
    startedAt: s.startedAt,
    stoppedAt: s.stoppedAt,
    lastMeterAt: s.lastMeterAt,
    stopReason: s.stopReason,
    // Who, not why: notes can name an admin and go only to the CMS, over REST.
    closedBy: s.closedBy,
  };
}

/** Whom a session's notifications are about: its customer (if any) and its charge point. */
export function sessionSubject(s: Session): NotificationSubject {
  return { customers: s.customerId === null ? [] : [s.customerId], chargePointId: s.chargePointId };
}

/** A session event, and after a start or stop the `session.updated` that lists show. */
export function sessionNotifications(type: 'charging.started' | 'charging.stopped' | 'meter.values', s: Session, at: string): Notification[] {
  const data = sessionPayload(s);
  const out = [notify(type, data, at, sessionSubject(s))];
  if (type !== 'meter.values') out.push(notify('session.updated', data, at, sessionSubject(s)));
  return out;
}
