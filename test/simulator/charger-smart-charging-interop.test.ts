/**
 * The simulated charger's Smart Charging answers against ocpp-rpc, an independent OCPP-J
 * implementation, as the CSMS in strict mode: its own schema checks judge every CALLRESULT.
 */
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { RPCServer } from 'ocpp-rpc';
import { afterEach, expect, it } from 'vitest';
import { createFleetShared, SimCharger } from '../../src/simulator/charger.ts';
import { waitFor } from '../helpers/csms.ts';
import { aSimContext, aTemplate } from './sim-harness.ts';

let server: RPCServer | null = null;
let charger: SimCharger | null = null;
afterEach(async () => {
  charger?.shutdown();
  charger?.ctx.scheduler.clear();
  await server?.close({ force: true });
  server = null;
});

it('answers SetChargingProfile, GetCompositeSchedule and ClearChargingProfile as a strict ocpp-rpc CSMS accepts', async () => {
  server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true } as ConstructorParameters<typeof RPCServer>[0]);
  let txId = 0;
  const clients: any[] = [];
  server.on('client', (client: any) => {
    clients.push(client);
    client.handle('BootNotification', () => ({ status: 'Accepted', currentTime: new Date().toISOString(), interval: 3600 }));
    client.handle('StatusNotification', () => ({}));
    client.handle('Heartbeat', () => ({ currentTime: new Date().toISOString() }));
    client.handle('StartTransaction', () => ({ transactionId: ++txId, idTagInfo: { status: 'Accepted' } }));
    client.handle('MeterValues', () => ({}));
    client.handle('StopTransaction', () => ({ idTagInfo: { status: 'Accepted' } }));
  });
  const http = await server.listen(0, '127.0.0.1');
  const ctx = aSimContext(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/ocpp`);
  charger = new SimCharger(0, 'RPC-SC-1', aTemplate('connectors: 2\npowerKw: 22\nheartbeatInterval: 1h\nmeterValues: { interval: 1h }\nconfiguration: { ConnectorSwitch3to1PhaseSupported: true }'), null, ctx, createFleetShared(ctx));
  charger.scheduleConnect(performance.now());
  await waitFor(() => charger!.link() && clients.length === 1);
  const csms = clients[0];
  const tx = charger.claim(0, 'TAG-1');
  void charger.runStart(0, tx, 'app', performance.now());
  await waitFor(() => tx.transactionId);

  const profile = {
    chargingProfileId: 7, transactionId: tx.transactionId, stackLevel: 1, chargingProfilePurpose: 'TxProfile', chargingProfileKind: 'Relative',
    chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 13.3 }, { startPeriod: 900, limit: 16, numberPhases: 1 }] },
  };
  expect(await csms.call('SetChargingProfile', { connectorId: 1, csChargingProfiles: profile })).toEqual({ status: 'Accepted' });
  // Decimal amps in, decimal amps out: 13.3 A is 9177 W; back in A it must stay a multiple of 0.1.
  const composite = await csms.call('GetCompositeSchedule', { connectorId: 1, duration: 3600, chargingRateUnit: 'A' });
  expect(composite).toMatchObject({ status: 'Accepted', connectorId: 1, chargingSchedule: { chargingRateUnit: 'A', duration: 3600 } });
  expect(composite.chargingSchedule.chargingSchedulePeriod[0]).toEqual({ startPeriod: 0, limit: 13.3 });
  expect(composite.chargingSchedule.chargingSchedulePeriod[1]).toMatchObject({ limit: 16, numberPhases: 1 });
  expect(await csms.call('GetCompositeSchedule', { connectorId: 5, duration: 60 })).toEqual({ status: 'Rejected' });
  expect(await csms.call('ClearChargingProfile', { id: 7 })).toEqual({ status: 'Accepted' });
  expect(await csms.call('ClearChargingProfile', { id: 7 })).toEqual({ status: 'Unknown' });
});
