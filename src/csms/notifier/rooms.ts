/**
 * The room model, pure: which rooms exist, which a user is put in on connect, and which a user may
 * join. The seed design let any client join any room; here a room must be granted by the account.
 */
import { CMS_ROOMS, customerRoom, PUBLIC_STATIONS_ROOM } from '../domain/notifications.ts';
import type { Role } from '../domain/types.ts';

/** Availability is public to every authenticated client (see processor/apply-event.ts). */
export const PUBLIC_ROOM = PUBLIC_STATIONS_ROOM;

const POINT_PREFIX = 'cms:point:';
const CUSTOMER_PREFIX = 'customer:';
/** OCPP 1.6 chargeBoxIdentity is a CiString48 (as in gateway/upgrade.ts). */
const MAX_POINT_ID_LENGTH = 48;
const LIST_ROOMS: ReadonlySet<string> = new Set(Object.values(CMS_ROOMS));
// C0, DEL and C1: never part of an identity a page could show.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

export type RoomKind = 'customer' | 'cms' | 'point' | 'public';

export type Room =
  | { kind: 'customer'; name: string; customerId: number }
  | { kind: 'cms'; name: string }
  | { kind: 'point'; name: string; chargePointId: string }
  | { kind: 'public'; name: string };

export interface Member {
  id: number;
  role: Role;
}

export type JoinRefusal = 'malformed' | 'other-customer' | 'admin-only' | 'customer-only';

/** Parses a room name; null for anything that is not one of our rooms. */
export function parseRoom(name: unknown): Room | null {
  if (typeof name !== 'string') return null;
  if (name === PUBLIC_ROOM) return { kind: 'public', name };
  if (LIST_ROOMS.has(name)) return { kind: 'cms', name };
  if (name.startsWith(POINT_PREFIX)) {
    const chargePointId = name.slice(POINT_PREFIX.length);
    if (chargePointId.length === 0 || chargePointId.length > MAX_POINT_ID_LENGTH || CONTROL_CHARS.test(chargePointId)) return null;
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
  if (name === PUBLIC_ROOM) return 'public';
  if (name.startsWith(CUSTOMER_PREFIX)) return 'customer';
  if (name.startsWith(POINT_PREFIX)) return 'point';
  if (LIST_ROOMS.has(name)) return 'cms';
  return null;
}

/** Rooms a socket is put in on connect: a customer its own room, an admin the dashboard; both the public room. */
export function autoRooms(user: Member): string[] {
  // public:stations is joined on demand, by pages that show availability: every status change of
  // every charger goes there, so auto-joining everyone would multiply it by every client.
  return user.role === 'customer' ? [customerRoom(user.id)] : [CMS_ROOMS.dashboard];
}

/** Whether `user` may join `room`: customers their own room, admins the CMS rooms, everyone the public one. */
export function mayJoin(user: Member, room: Room | null): { ok: true } | { ok: false; reason: JoinRefusal } {
  if (room === null) return { ok: false, reason: 'malformed' };
  switch (room.kind) {
    case 'public':
      return { ok: true };
    case 'customer':
      if (user.role !== 'customer') return { ok: false, reason: 'customer-only' };
      return room.customerId === user.id ? { ok: true } : { ok: false, reason: 'other-customer' };
    case 'cms':
    case 'point':
      return user.role === 'admin' ? { ok: true } : { ok: false, reason: 'admin-only' };
  }
}

/** The room name in a `join-room`/`leave-room` payload: the name itself, or the seed notes' `{ room }`. */
export function roomArg(payload: unknown): unknown {
  if (payload !== null && typeof payload === 'object' && 'room' in payload) return (payload as { room: unknown }).room;
  return payload;
}
