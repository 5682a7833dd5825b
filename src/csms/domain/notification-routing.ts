// Who gets which notification: the room names (built and parsed here only) and the table of audiences per type.
import { CHARGE_POINT_ID_MAX_LENGTH } from './charge-point-id.ts';
import type { Notification, NotificationType } from './types.ts';

/** The CMS list rooms an admin's pages join. */
export const CMS_ROOMS = {
  dashboard: 'cms:dashboard',
  stations: 'cms:stations',
  points: 'cms:points',
  sessions: 'cms:sessions',
  /** Firmware and diagnostics jobs of every charger (the CMS firmware page). */
  jobs: 'cms:jobs',
} as const;

/** Availability, for any authenticated client that asks: never sessions or wallets. */
export const PUBLIC_STATIONS_ROOM = 'public:stations';

const POINT_PREFIX = 'cms:point:';
const CUSTOMER_PREFIX = 'customer:';

/** Room of one charge point's detail view (admins). */
export function pointRoom(chargePointId: string): string {
  return `${POINT_PREFIX}${chargePointId}`;
}

/** A customer's own room. */
export function customerRoom(customerId: number): string {
  return `${CUSTOMER_PREFIX}${customerId}`;
}

/** The room names there are, for error messages. */
export const ROOM_NAME_FORMS = `${CUSTOMER_PREFIX}{id}, ${Object.values(CMS_ROOMS).join(', ')}, ${POINT_PREFIX}{chargePointId} or ${PUBLIC_STATIONS_ROOM}`;

export type RoomKind = 'customer' | 'cms' | 'point' | 'public';

export type Room =
  | { kind: 'customer'; name: string; customerId: number }
  | { kind: 'cms'; name: string }
  | { kind: 'point'; name: string; chargePointId: string }
  | { kind: 'public'; name: string };

const LIST_ROOMS: ReadonlySet<string> = new Set(Object.values(CMS_ROOMS));
// C0, DEL and C1: never part of an identity a page could show.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

/** Parses a room name; null for anything that is not one of our rooms. */
export function parseRoom(name: unknown): Room | null {
  if (typeof name !== 'string') return null;
  if (name === PUBLIC_STATIONS_ROOM) return { kind: 'public', name };
  if (LIST_ROOMS.has(name)) return { kind: 'cms', name };
  if (name.startsWith(POINT_PREFIX)) {
    const chargePointId = name.slice(POINT_PREFIX.length);
    if (chargePointId.length === 0 || chargePointId.length > CHARGE_POINT_ID_MAX_LENGTH || CONTROL_CHARS.test(chargePointId)) return null;
    return { kind: 'point', name, chargePointId };
  }
  if (name.startsWith(CUSTOMER_PREFIX)) {
    const digits = name.slice(CUSTOMER_PREFIX.length);
    // Canonical spelling only ("customer:7", not "customer:07"), so one customer is one room.
    if (!/^[1-9][0-9]{0,15}$/.test(digits)) return null;
    const customerId = Number(digits);
    return Number.isSafeInteger(customerId) ? { kind: 'customer', name, customerId } : null;
  }
  return null;
}

/** The kind of a room name the server put a socket in (socket.io's own per-socket room is null). */
export function roomKind(name: string): RoomKind | null {
  if (name === PUBLIC_STATIONS_ROOM) return 'public';
  if (name.startsWith(CUSTOMER_PREFIX)) return 'customer';
  if (name.startsWith(POINT_PREFIX)) return 'point';
  if (LIST_ROOMS.has(name)) return 'cms';
  return null;
}

/**
 * An audience of a notification: `customer` is the room of each customer the emitter names, `point`
 * the detail room of the charge point it names; the others are fixed rooms.
 */
export type Audience = 'customer' | 'point' | keyof typeof CMS_ROOMS | 'public';

const SESSION_EVENT: readonly Audience[] = ['customer', 'sessions', 'dashboard', 'point'];
const CHARGER_STATE: readonly Audience[] = ['points', 'dashboard', 'point', 'public'];
const STATION_CHANGE: readonly Audience[] = ['stations', 'dashboard'];
const POINT_CHANGE: readonly Audience[] = ['points', 'stations', 'dashboard', 'point'];
const CUSTOMER_CHANGE: readonly Audience[] = ['customer', 'dashboard'];
const RESERVATION_EVENT: readonly Audience[] = ['customer', 'point'];

/**
 * Who gets what: every notification type and its audiences. meter.values skips the dashboard (it
 * is the busiest type and the dashboard shows totals from dashboard.stats); ocpp.message and
 * command.result to a point are for the point's detail view only. docs/events.md lists the same.
 */
export const NOTIFICATION_AUDIENCES: Readonly<Record<NotificationType, readonly Audience[]>> = {
  'charging.started': SESSION_EVENT,
  'charging.stopped': SESSION_EVENT,
  'charging.auto_stop': ['customer', 'sessions', 'point'],
  'meter.values': ['customer', 'sessions', 'point'],
  'session.updated': ['customer', 'sessions', 'point'],
  'charger.status': CHARGER_STATE,
  // The customer is the one charging on that connector, if any.
  'connector.status': ['customer', ...CHARGER_STATE],
  'station.status': [...STATION_CHANGE, 'public'],
  'wallet.updated': ['customer'],
  'wallet.transaction': ['customer'],
  'ocpp.message': ['point'],
  // The command sender names the point (every command, for the CMS); the customer routes name the
  // customer who asked (their own outcome, without the charger's full answer).
  'command.result': ['customer', 'point'],
  // Smart charging (docs/smart-charging.md): for the point's detail view.
  'charging_profile.installed': ['point'],
  'charging_profile.cleared': ['point'],
  'charging_profile.unconfirmed': ['point'],
  'station.created': STATION_CHANGE,
  'station.updated': STATION_CHANGE,
  'station.deleted': STATION_CHANGE,
  'point.created': POINT_CHANGE,
  'point.updated': POINT_CHANGE,
  'point.deleted': POINT_CHANGE,
  'tariff.created': ['points'],
  'tariff.updated': ['points'],
  'tariff.deleted': ['points'],
  'customer.created': CUSTOMER_CHANGE,
  'customer.updated': CUSTOMER_CHANGE,
  'customer.deleted': CUSTOMER_CHANGE,
  'dashboard.stats': ['dashboard'],
  // The customer who reserved, and the point's detail view; the connector's Reserved status reaches lists as connector.status.
  'reservation.created': RESERVATION_EVENT,
  'reservation.cancelled': RESERVATION_EVENT,
  'reservation.expired': RESERVATION_EVENT,
  'reservation.used': RESERVATION_EVENT,
  // A job's state: the firmware page and the point's detail view.
  'firmware.status': ['jobs', 'point'],
  'diagnostics.status': ['jobs', 'point'],
  'localList.synced': ['point'],
  'localList.failed': ['point'],
};

/** Whom a notification is about, as its emitter knows: the table turns it into rooms. */
export interface NotificationSubject {
  /** Customers concerned (the `customer` audience); none for a session without a customer. */
  customers?: readonly number[];
  /** The charge point concerned (the `point` audience). */
  chargePointId?: string;
}

/** The recipients and rooms of a notification of `type` about `subject`, by the table. */
export function route(type: NotificationType, subject: NotificationSubject = {}): Pick<Notification, 'recipients' | 'rooms'> {
  const recipients: number[] = [];
  const rooms: string[] = [];
  for (const audience of NOTIFICATION_AUDIENCES[type]) {
    if (audience === 'customer') recipients.push(...(subject.customers ?? []));
    else if (audience === 'point') {
      if (subject.chargePointId !== undefined) rooms.push(pointRoom(subject.chargePointId));
    } else if (audience === 'public') rooms.push(PUBLIC_STATIONS_ROOM);
    else rooms.push(CMS_ROOMS[audience]);
  }
  return { recipients, rooms };
}

/** Every room a notification goes to: its rooms and its recipients' own rooms. */
export function deliveryRooms(n: Pick<Notification, 'recipients' | 'rooms'>): string[] {
  if (n.recipients.length === 0) return n.rooms;
  return [...n.rooms, ...n.recipients.map(customerRoom)];
}

/** A customer blocked or deleted by an admin loses its live connections at once (the store is the authority). */
export function revokedCustomer(n: Pick<Notification, 'type' | 'data'>): number | null {
  if (typeof n.data.customerId !== 'number') return null;
  if (n.type === 'customer.deleted') return n.data.customerId;
  const blocked = n.type === 'customer.updated' && (n.data.customer as { blocked?: unknown } | undefined)?.blocked === true;
  return blocked ? n.data.customerId : null;
}
