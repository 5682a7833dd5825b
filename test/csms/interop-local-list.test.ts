/**
 * Interop of the Local Auth List Management profile with an independent OCPP 1.6J implementation
 * (`ocpp-rpc`, strict mode: every request and answer checked against the OCA schemas), both ways:
 * our CSMS keeps an ocpp-rpc charger's list (LOCAL_LIST=on), and an ocpp-rpc central system sends
 * our simulated charger SendLocalList and GetLocalListVersion.
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, expect, it } from 'vitest';
import { createFleetShared, SimCharger } from '../../src/simulator/charger.ts';
import { aChargePoint, aCustomer, startCsms, waitFor, type TestCsms } from '../helpers/csms.ts';
import { aSimContext, aTemplate } from '../simulator/sim-harness.ts';

interface RpcClient {
  connect(): Promise<unknown>;
  call(action: string, params: unknown): Promise<any>;
  handle(action: string, fn: (ctx: { params: any }) => unknown): void;
  close(opts?: Record<string, unknown>): Promise<unknown>;
}
const { RPCClient, RPCServer } = createRequire(import.meta.url)('ocpp-rpc') as {
  RPCClient: new (opts: Record<string, unknown>) => RpcClient;
  RPCServer: new (opts: Record<string, unknown>) => {
    on(event: 'client', fn: (client: RpcClient & { identity: string }) => void): void;
    listen(port: number, host?: string): Promise<import('node:http').Server>;
    close(opts?: Record<string, unknown>): Promise<unknown>;
  };
};

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('our CSMS keeps an ocpp-rpc charger\'s list: version asked at boot, Full, then a Differential removing a blocked card', async () => {
  const t: TestCsms = await startCsms({ localList: 'on', localListSyncIntervalS: 0.2 });
  cleanups.push(() => t.close());
  await aChargePoint(t.store, { id: 'RPC-LIST', connectors: 1 });
  await aCustomer(t.store, { idTag: 'RPC-KEEP' });
  const gone = await aCustomer(t.store, { idTag: 'RPC-GONE' });
  let version = 0;
  const lists: any[] = [];
  const client = new RPCClient({ endpoint: t.info.ocppUrl, identity: 'RPC-LIST', protocols: ['ocpp1.6'], strictMode: true, reconnect: false });
  client.handle('GetLocalListVersion', () => ({ listVersion: version }));
  client.handle('SendLocalList', ({ params }) => {
    lists.push(params);
    version = params.listVersion;
    return { status: 'Accepted' };
  });
  await client.connect();
  cleanups.push(() => client.close({ force: true }));
  await client.call('BootNotification', { chargePointVendor: 'ocpp-rpc', chargePointModel: 'interop' });

  await waitFor(() => lists.length >= 1);
  expect(lists[0]).toEqual({
    listVersion: 1, updateType: 'Full',
    localAuthorizationList: [{ idTag: 'RPC-GONE', idTagInfo: { status: 'Accepted' } }, { idTag: 'RPC-KEEP', idTagInfo: { status: 'Accepted' } }],
  });
  await t.store.users.update(gone.id, { blocked: true });
  await waitFor(() => lists.length >= 2);
  expect(lists[1]).toEqual({ listVersion: 2, updateType: 'Differential', localAuthorizationList: [{ idTag: 'RPC-GONE' }] });
  await waitFor(async () => (await t.store.localLists.get('RPC-LIST'))?.version === 2);
});

it('an ocpp-rpc central system in strict mode drives our simulated charger\'s list', async () => {
  const server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true });
  const connected = new Promise<RpcClient>((resolve) => server.on('client', (client) => {
    client.handle('BootNotification', () => ({ status: 'Accepted', currentTime: new Date().toISOString(), interval: 3600 }));
    client.handle('StatusNotification', () => ({}));
    client.handle('Heartbeat', () => ({ currentTime: new Date().toISOString() }));
    resolve(client);
  }));
  const http = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.close({ force: true }));
  const ctx = aSimContext(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`);
  const charger = new SimCharger(0, 'SIM-RPC', aTemplate('connectors: 1\nheartbeatInterval: 1h'), null, ctx, createFleetShared(ctx));
  cleanups.push(() => {
    charger.shutdown();
    ctx.scheduler.clear();
  });
  charger.scheduleConnect(performance.now());
  const cs = await connected;
  await waitFor(() => charger.link());

  expect(await cs.call('GetLocalListVersion', {})).toEqual({ listVersion: 0 });
  expect(await cs.call('SendLocalList', { listVersion: 5, updateType: 'Full', localAuthorizationList: [{ idTag: 'CARD-1', idTagInfo: { status: 'Accepted', expiryDate: '2099-01-01T00:00:00.000Z' } }] })).toEqual({ status: 'Accepted' });
  expect(await cs.call('SendLocalList', { listVersion: 5, updateType: 'Differential', localAuthorizationList: [{ idTag: 'CARD-2', idTagInfo: { status: 'Accepted' } }] })).toEqual({ status: 'VersionMismatch' });
  expect(await cs.call('SendLocalList', { listVersion: 6, updateType: 'Differential', localAuthorizationList: [{ idTag: 'CARD-1' }] })).toEqual({ status: 'Accepted' });
  expect(await cs.call('GetLocalListVersion', {})).toEqual({ listVersion: 6 });
  expect(await cs.call('ClearCache', {})).toEqual({ status: 'Rejected' });
  expect(await cs.call('ChangeConfiguration', { key: 'WebSocketPingInterval', value: '60' })).toEqual({ status: 'RebootRequired' });
});
