/**
 * The simulated charger's answers to ReserveNow and CancelReservation (E2 §5.13, §5.7) and what a
 * reservation does to starts (E2 §3.12), through the fleet's own handler map. The charger is not
 * connected: its decisions are what is tested here (test/csms/e2e/reservations.test.ts runs the
 * same charger against the CSMS, status reports and expiry included).
 */
import { describe, expect, it } from 'vitest';
import type { CallContext, GetConfigurationResponse } from '../../src/ocpp/index.ts';
import { createFleetShared, SimCharger } from '../../src/simulator/charger.ts';
import { aSimContext, aTemplate } from './sim-harness.ts';
import { waitFor } from '../helpers/csms.ts';

function aCharger(yaml = '') {
  const ctx = aSimContext('ws://127.0.0.1:1/ocpp');
  const shared = createFleetShared(ctx);
  const sim = new SimCharger(0, 'CP-R', aTemplate(`connectors: 2\n${yaml}`), null, ctx, shared);
  const call = { connection: { context: sim } } as unknown as CallContext<SimCharger>;
  const h = shared.handlers;
  return {
    sim,
    reserve: (connectorId: number, reservationId: number, idTag = 'ALICE', minutes = 10) =>
      h.ReserveNow!({ connectorId, reservationId, idTag, expiryDate: new Date(Date.now() + minutes * 60_000).toISOString() }, call),
    cancel: (reservationId: number) => h.CancelReservation!({ reservationId }, call),
    get: (key: string) => h.GetConfiguration!({ key: [key] }, call) as GetConfigurationResponse,
  };
}

describe('ReserveNow', () => {
  it('accepts a free connector, which is then Reserved for that idTag only; another id on it is Rejected', async () => {
    const c = aCharger();
    expect(c.reserve(1, 7)).toEqual({ status: 'Accepted' });
    expect(c.sim.connectors[0].status).toBe('Reserved');
    expect(c.sim.connectors[0].reservation).toMatchObject({ id: 7, idTag: 'ALICE' });
    expect(c.sim.freeConnector()).toBe(-1); // not for other customers of the run (the charger is offline here, too)
    expect(c.reserve(1, 8, 'BOB')).toEqual({ status: 'Rejected' });
    // The same reservationId replaces it, here on another connector: the first is free again.
    expect(c.reserve(2, 7, 'ALICE')).toEqual({ status: 'Accepted' });
    expect(c.sim.connectors[0].reservation).toBeNull();
    expect(c.sim.connectors[0].status).toBe('Available');
    expect(c.sim.connectors[1].reservation).toMatchObject({ id: 7 });
  });

  it('answers Occupied, Faulted and Unavailable from the connector\'s state, and Rejected for an unknown connector', () => {
    const c = aCharger();
    c.sim.claim(0, 'SOMEONE');
    expect(c.reserve(1, 1)).toEqual({ status: 'Occupied' });
    c.sim.connectors[1].status = 'Faulted';
    expect(c.reserve(2, 2)).toEqual({ status: 'Faulted' });
    c.sim.connectors[1].status = 'Unavailable';
    expect(c.reserve(2, 3)).toEqual({ status: 'Unavailable' });
    c.sim.connectors[1].status = 'Preparing';
    expect(c.reserve(2, 4)).toEqual({ status: 'Occupied' });
    expect(c.reserve(3, 5)).toEqual({ status: 'Rejected' });
  });

  it('refuses connector 0 unless ReserveConnectorZeroSupported; with it, keeps one connector for the idTag', () => {
    const off = aCharger();
    expect(off.reserve(0, 1)).toEqual({ status: 'Rejected' });
    expect(off.get('SupportedFeatureProfiles').configurationKey![0].value).toContain('Reservation');
    expect(off.get('ReserveConnectorZeroSupported').configurationKey![0]).toEqual({ key: 'ReserveConnectorZeroSupported', readonly: false, value: 'false' });

    const on = aCharger('configuration: { ReserveConnectorZeroSupported: "true" }');
    expect(on.reserve(0, 9)).toEqual({ status: 'Accepted' });
    on.sim.claim(0, 'BOB');
    // One connector left: BOB may not take it, ALICE may, and her start uses the reservation.
    expect(on.sim.shared.handlers.RemoteStartTransaction!({ idTag: 'BOB', connectorId: 2 }, { connection: { context: on.sim } } as never)).toEqual({ status: 'Rejected' });
    expect(on.sim.claim(1, 'alice').reservationId).toBe(9);
  });

  it('lets only the reserved idTag (any case) start; its transaction carries the reservationId', () => {
    const c = aCharger();
    c.reserve(1, 42, 'AliceTag');
    const remoteStart = (idTag: string) => c.sim.shared.handlers.RemoteStartTransaction!({ idTag, connectorId: 1 }, { connection: { context: c.sim } } as never);
    expect(remoteStart('BOB')).toEqual({ status: 'Rejected' });
    const tx = c.sim.claim(0, 'ALICETAG');
    expect(tx.reservationId).toBe(42);
    expect(c.sim.connectors[0].reservation).toBeNull();
  });
});

describe('CancelReservation', () => {
  it('accepts a reservation the charger holds and frees its connector; an unknown one is Rejected', () => {
    const c = aCharger();
    c.reserve(2, 5);
    expect(c.cancel(6)).toEqual({ status: 'Rejected' });
    expect(c.cancel(5)).toEqual({ status: 'Accepted' });
    expect(c.sim.connectors[1]).toMatchObject({ reservation: null, status: 'Available' });
    expect(c.cancel(5)).toEqual({ status: 'Rejected' });
  });

  it('lapses at the expiryDate: Available again', async () => {
    const c = aCharger();
    c.sim.connectors[0].status = 'Available';
    expect(c.reserve(1, 3, 'ALICE', 0.001)).toEqual({ status: 'Accepted' });
    expect(c.sim.connectors[0].status).toBe('Reserved');
    // The expiry timer fires when it fires on a loaded machine: wait for it, not a fixed 200 ms.
    await waitFor(() => c.sim.connectors[0].reservation === null, 5000);
    expect(c.sim.connectors[0]).toMatchObject({ reservation: null, status: 'Available' });
  });
});
