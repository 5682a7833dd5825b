/**
 * The notifier's counters. Cheap to update on the hot path (a few increments per notification);
 * the per-room-kind client counts are computed only when stats() is read.
 */
import type { Namespace } from 'socket.io';
import { roomKind, type RoomKind } from './rooms.ts';

export interface NotifierStats {
  /** Sockets connected now. */
  connected: number;
  /** Sockets connected now that are in at least one room of each kind. */
  clientsByRoomKind: Record<RoomKind, number>;
  /** Handshakes refused, by error code (CSMS_ERR_UNAUTHORIZED, CSMS_ERR_ACCOUNT_BLOCKED). */
  refusedConnections: Record<string, number>;
  /** `join-room` requests granted (the automatic joins on connect are not counted). */
  acceptedJoins: number;
  refusedJoins: number;
  /** malformed, other-customer, admin-only, customer-only, account. */
  refusedJoinsByReason: Record<string, number>;
  /** Notifications consumed from the broker. */
  received: number;
  /** Notifications broadcast to at least one connected socket (one emit each, however many sockets). */
  emitted: number;
  emittedByType: Record<string, number>;
  /** Notifications no connected socket was listening for: dropped before encoding. */
  noAudience: number;
}

export function createCounters() {
  const refusedConnections = new Map<string, number>();
  const refusedJoins = new Map<string, number>();
  const emittedByType = new Map<string, number>();
  const bump = (m: Map<string, number>, key: string) => m.set(key, (m.get(key) ?? 0) + 1);
  const c = { acceptedJoins: 0, received: 0, emitted: 0, noAudience: 0 };

  return {
    c,
    connectionRefused: (code: string) => bump(refusedConnections, code),
    joinRefused: (reason: string) => bump(refusedJoins, reason),
    emitted(type: string) {
      c.emitted++;
      bump(emittedByType, type);
    },
    snapshot(nsp: Namespace | null): NotifierStats {
      const clientsByRoomKind: Record<RoomKind, number> = { customer: 0, cms: 0, point: 0, public: 0 };
      for (const socket of nsp?.sockets.values() ?? []) {
        const kinds = new Set<RoomKind>();
        for (const room of socket.rooms) {
          const kind = roomKind(room);
          if (kind) kinds.add(kind);
        }
        for (const kind of kinds) clientsByRoomKind[kind]++;
      }
      let refused = 0;
      for (const n of refusedJoins.values()) refused += n;
      return {
        connected: nsp?.sockets.size ?? 0,
        clientsByRoomKind,
        refusedConnections: Object.fromEntries(refusedConnections),
        acceptedJoins: c.acceptedJoins,
        refusedJoins: refused,
        refusedJoinsByReason: Object.fromEntries(refusedJoins),
        received: c.received,
        emitted: c.emitted,
        emittedByType: Object.fromEntries(emittedByType),
        noAudience: c.noAudience,
      };
    },
  };
}
