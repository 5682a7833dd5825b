import { beforeEach, describe, expect, it } from 'vitest';
import type { NewReservation, Store } from '../../../src/csms/domain/ports.ts';
import { aChargePoint, aUser } from '../builders.ts';
import { eachStore, openStore, type OpenedStore } from '../../helpers/stores.ts';

const at = '2024-05-01T12:00:00.000Z';
const later = '2024-05-01T12:15:00.000Z';

describe.each(eachStore)('[%s] reservations', (_name, adapter) => {
  let opened: OpenedStore;
  let store: Store;
  let alice: number;
  let bob: number;
  beforeEach(async (ctx) => {
    opened = await openStore(adapter, ctx);
    store = opened.store;
    alice = (await store.users.create(aUser())).id;
    bob = (await store.users.create(aUser())).id;
    await store.chargePoints.create(aChargePoint({ id: 'CP-1' }));
  });

  const booking = (over: Partial<NewReservation> = {}): NewReservation => ({
    chargePointId: 'CP-1', connectorId: 1, customerId: alice, idTag: 'ALICE', expiresAt: later, feeMinor: 0, createdAt: at, ...over,
  });

  it('creates an active reservation whose id is an integer and reads it back', async () => {
    const r = await store.reservations.create(booking({ feeMinor: 150 }));
    expect(Number.isInteger(r.id)).toBe(true);
    expect(r).toMatchObject({ chargePointId: 'CP-1', connectorId: 1, customerId: alice, idTag: 'ALICE', expiresAt: later, status: 'active', feeMinor: 150, note: null, sessionId: null, createdAt: at, updatedAt: at });
    expect(await store.reservations.get(r.id)).toEqual(r);
    expect(await store.reservations.activeOnConnector('CP-1', 1)).toEqual(r);
    expect(await store.reservations.activeOnConnector('CP-1', 2)).toBeNull();
  });

  it('keeps one active reservation per connector, whichever customer asks', async () => {
    const first = await store.reservations.create(booking());
    await expect(store.reservations.create(booking({ customerId: bob, idTag: 'BOB' }))).rejects.toMatchObject({ code: 'CSMS_ERR_CONNECTOR_RESERVED', data: { reservationId: first.id } });
    // Another connector is free.
    expect((await store.reservations.create(booking({ customerId: bob, idTag: 'BOB', connectorId: 2 }))).status).toBe('active');
  });

  it('keeps one active reservation per customer', async () => {
    const first = await store.reservations.create(booking());
    await expect(store.reservations.create(booking({ connectorId: 2 }))).rejects.toMatchObject({ code: 'CSMS_ERR_RESERVATION_EXISTS', data: { reservationId: first.id } });
  });

  it('leaves the transaction usable after a lost booking (a second node booked first)', async () => {
    await store.reservations.create(booking());
    const other = await opened.another();
    const outcome = await other.transaction(async () => {
      await other.reservations.create(booking({ customerId: bob, idTag: 'BOB' })).catch((err: { code: string }) => err.code);
      return await other.reservations.create(booking({ customerId: bob, idTag: 'BOB', connectorId: 2 }));
    });
    expect(outcome.connectorId).toBe(2);
    expect(await store.reservations.activeOnConnector('CP-1', 2)).toMatchObject({ customerId: bob });
  });

  it('ends a reservation once, and frees the connector and the customer for a new one', async () => {
    const r = await store.reservations.create(booking());
    const used = await store.reservations.finish(r.id, 'used', later, { sessionId: 42 });
    expect(used).toMatchObject({ status: 'used', sessionId: 42, updatedAt: later });
    expect(await store.reservations.finish(r.id, 'expired', later)).toBeNull();
    expect((await store.reservations.get(r.id))!.status).toBe('used');
    expect(await store.reservations.activeOnConnector('CP-1', 1)).toBeNull();
    const again = await store.reservations.create(booking());
    expect(await store.reservations.finish(again.id, 'refused', later, { note: 'Occupied' })).toMatchObject({ status: 'refused', note: 'Occupied' });
  });

  it('lists newest first, by customer, point and status, and finds those due', async () => {
    const a = await store.reservations.create(booking({ expiresAt: '2024-05-01T12:05:00.000Z' }));
    const b = await store.reservations.create(booking({ customerId: bob, idTag: 'BOB', connectorId: 2, expiresAt: '2024-05-01T12:10:00.000Z' }));
    await store.chargePoints.create(aChargePoint({ id: 'CP-2' }));
    await store.reservations.finish(a.id, 'cancelled', at);
    const c = await store.reservations.create(booking({ chargePointId: 'CP-2', expiresAt: '2024-05-01T12:01:00.000Z' }));
    expect((await store.reservations.list({})).map((r) => r.id)).toEqual([c.id, b.id, a.id]);
    expect((await store.reservations.list({ customerId: alice })).map((r) => r.id)).toEqual([c.id, a.id]);
    expect((await store.reservations.list({ chargePointId: 'CP-1', status: 'active' })).map((r) => r.id)).toEqual([b.id]);
    expect((await store.reservations.list({ limit: 1, offset: 1 })).map((r) => r.id)).toEqual([b.id]);
    expect((await store.reservations.due('2024-05-01T12:10:00.000Z', 10)).map((r) => r.id)).toEqual([c.id, b.id]);
    expect((await store.reservations.due('2024-05-01T12:10:00.000Z', 1)).map((r) => r.id)).toEqual([c.id]);
    expect(await store.reservations.due('2024-05-01T12:00:30.000Z', 10)).toEqual([]);
  });
});
