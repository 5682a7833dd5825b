import { describe, expect, it } from 'vitest';
import { customerRoom, deliveryRooms, pointRoom } from '../../../src/csms/domain/notification-routing.ts';
import { reservationNotification } from '../../../src/csms/domain/reservations.ts';
import type { Reservation } from '../../../src/csms/domain/types.ts';

const aReservation = (over: Partial<Reservation> = {}): Reservation => ({
  id: 7, chargePointId: 'CP-1', connectorId: 2, customerId: 42, idTag: 'TAG42', expiresAt: '2024-05-01T12:15:00.000Z',
  status: 'active', feeMinor: 0, note: null, sessionId: null, createdAt: '2024-05-01T12:00:00.000Z', updatedAt: '2024-05-01T12:00:00.000Z', ...over,
});

describe('reservation notifications', () => {
  it.each(['reservation.created', 'reservation.cancelled', 'reservation.expired', 'reservation.used'] as const)('%s reaches the customer who reserved and the point, nobody else', (type) => {
    const n = reservationNotification(type, aReservation(), '2024-05-01T12:00:01.000Z');
    expect(n.type).toBe(type);
    expect(deliveryRooms(n).sort()).toEqual([customerRoom(42), pointRoom('CP-1')].sort());
    // customerId on top, so a customer's isolation check can tell whose it is.
    expect(n.data).toMatchObject({ customerId: 42, chargePointId: 'CP-1', reservation: { id: 7, connectorId: 2 } });
  });
});
