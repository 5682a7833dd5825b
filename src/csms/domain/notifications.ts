/**
 * Builds the notifications the outside world sees. Which rooms a notification goes to is decided
 * here, once: the customer's own room via `recipients`, the CMS rooms via `rooms`.
 */
import { randomUUID } from 'node:crypto';
import type { Notification, NotificationType, Session } from './types.ts';

export const CMS_ROOMS = {
  dashboard: 'cms:dashboard',
  stations: 'cms:stations',
  points: 'cms:points',
  sessions: 'cms:sessions',
} as const;

/** Room every authenticated client is in: availability is public, sessions and wallets are not. */
export const PUBLIC_STATIONS_ROOM = 'public:stations';

/** Room of one charge point's detail view. */
export function pointRoom(chargePointId: string): string {
  return `cms:point:${chargePointId}`;
}

export function customerRoom(customerId: number): string {
  return `customer:${customerId}`;
}

export function notify(type: NotificationType, data: Record<string, unknown>, at: string, recipients: number[] = [], rooms: string[] = []): Notification {
  return { id: randomUUID(), type, data, timestamp: at, recipients, rooms };
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

/** A session event goes to its customer, the CMS sessions list and dashboard, and the point's detail view. */
export function sessionNotifications(type: 'charging.started' | 'charging.stopped' | 'meter.values', s: Session, at: string): Notification[] {
  const recipients = s.customerId === null ? [] : [s.customerId];
  const rooms = type === 'meter.values'
    ? [CMS_ROOMS.sessions, pointRoom(s.chargePointId)]
    : [CMS_ROOMS.sessions, CMS_ROOMS.dashboard, pointRoom(s.chargePointId)];
  const data = sessionPayload(s);
  const out = [notify(type, data, at, recipients, rooms)];
  if (type !== 'meter.values') out.push(notify('session.updated', data, at, recipients, [CMS_ROOMS.sessions]));
  return out;
}
