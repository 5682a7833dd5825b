/**
 * Who may be in which room, pure: which rooms a user is put in on connect, and which a user may
 * join. The room names themselves are domain/notification-routing.ts's.
 */
import { CMS_ROOMS, customerRoom, type Room } from '../domain/notification-routing.ts';
import type { Role } from '../domain/types.ts';

export { parseRoom, roomKind, type Room, type RoomKind } from '../domain/notification-routing.ts';

export interface Member {
  id: number;
  role: Role;
}

export type JoinRefusal = 'malformed' | 'other-customer' | 'admin-only' | 'customer-only';

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

/** The room name in a `join-room`/`leave-room` payload: the name itself, or wrapped as `{ room }`. */
export function roomArg(payload: unknown): unknown {
  if (payload !== null && typeof payload === 'object' && 'room' in payload) return (payload as { room: unknown }).room;
  return payload;
}
