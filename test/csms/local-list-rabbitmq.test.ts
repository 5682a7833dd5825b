/**
 * The local list service in RabbitMQ mode (the gateway's node asks and sends), on both stores:
 * the outcome reaches the point's room over Socket.io as localList.synced, and a card blocked in
 * the CMS goes out as a Differential at once.
 */
import { io, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { pointRoom } from '../../src/csms/domain/notification-routing.ts';
import { aBootNotification, type OcppConnection } from '../../src/ocpp/index.ts';
import { aChargePoint, aCustomer, login, startCsms, waitFor, type TestCsms } from '../helpers/csms.ts';
import { csmsStores } from '../helpers/postgres.ts';
import { deleteNamespace, describeRabbit, RABBIT_URL, uniqueNamespace } from '../helpers/rabbit.ts';

interface Received {
  type: string;
  data: Record<string, any>;
}

for (const [storeName, store] of csmsStores) describeRabbit(`local list over RabbitMQ [${storeName} store]`, () => {
  let ns: string;
  let t: TestCsms;
  let socket: Socket | null = null;
  beforeEach(async () => {
    ns = uniqueNamespace();
    t = await startCsms({ enableRabbitmq: true, rabbitmqNamespace: ns, localList: 'on', localListSyncIntervalS: 3600, ...store });
  });
  afterEach(async () => {
    socket?.close();
    await t.close();
    await deleteNamespace(RABBIT_URL, ns);
  });

  it('announces localList.synced to the point\'s room; a card blocked in the CMS follows at once', async () => {
    await aChargePoint(t.store, { id: 'LL-RMQ', connectors: 1 });
    const dora = await aCustomer(t.store, { idTag: 'DORA' });
    const token = await login(t, 'admin@ev-csms.local', 'admin-password');
    const received: Received[] = [];
    socket = io(t.info.httpUrl, { auth: { token }, transports: ['websocket'], reconnection: false });
    socket.on('notification', (n: Received) => received.push(n));
    await new Promise<void>((resolve, reject) => {
      socket!.once('connect', () => resolve());
      socket!.once('connect_error', reject);
    });
    expect(await socket.emitWithAck('join-room', pointRoom('LL-RMQ'))).toMatchObject({ ok: true });

    const cp: OcppConnection<any, any, unknown> = await t.connect('LL-RMQ');
    let version = 0;
    const lists: any[] = [];
    cp.handle('GetLocalListVersion', () => ({ listVersion: version }));
    cp.handle('SendLocalList', (req: any) => {
      lists.push(req);
      version = req.listVersion;
      return { status: 'Accepted' };
    });
    await cp.call('BootNotification', aBootNotification());
    await waitFor(() => received.find((n) => n.type === 'localList.synced'));
    expect(received.find((n) => n.type === 'localList.synced')!.data).toMatchObject({ chargePointId: 'LL-RMQ', version: 1, updateType: 'Full', size: 1 });
    expect(lists[0]).toEqual({ listVersion: 1, updateType: 'Full', localAuthorizationList: [{ idTag: 'DORA', idTagInfo: { status: 'Accepted' } }] });

    const card = await t.api(`/api/cms/customers/${dora.id}/id-tags/DORA`, { method: 'PUT', token, body: { blocked: true } });
    expect(card.status).toBe(200);
    await waitFor(() => received.filter((n) => n.type === 'localList.synced').length >= 2, 10_000);
    expect(lists[1]).toEqual({ listVersion: 2, updateType: 'Differential', localAuthorizationList: [{ idTag: 'DORA' }] });
    expect(received.filter((n) => n.type === 'localList.synced')[1].data).toMatchObject({ version: 2, updateType: 'Differential', size: 0, sent: 1 });
    expect((await t.store.localLists.get('LL-RMQ'))).toMatchObject({ version: 2, entries: [], status: 'synced' });
  });
});
