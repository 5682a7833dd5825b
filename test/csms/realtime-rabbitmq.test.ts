/**
 * The RabbitMQ pipeline end to end: charger → gateway → RabbitMQ → processor → store (SQLite, and
 * PostgreSQL) → notifications exchange → notifier → Socket.io rooms. Each customer sees only its own events.
 */
import { io, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { aBootNotification, aMeterValue, aSampledValue, aStartTransaction, aStopTransaction } from '../../src/ocpp/index.ts';
import { aChargePoint, aCustomer, aTariffIn, login, startCsms, waitFor, type TestCsms } from '../helpers/csms.ts';
import { csmsStores } from '../helpers/postgres.ts';
import { deleteNamespace, describeRabbit, RABBIT_URL, uniqueNamespace } from '../helpers/rabbit.ts';

interface Received {
  type: string;
  data: Record<string, any>;
}

function connectSocket(t: TestCsms, token: string): Promise<{ socket: Socket; received: Received[] }> {
  const socket = io(t.info.httpUrl, { auth: { token }, transports: ['websocket'], reconnection: false });
  const received: Received[] = [];
  socket.on('notification', (n: Received) => received.push(n));
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve({ socket, received }));
    socket.once('connect_error', reject);
  });
}

for (const [storeName, store] of csmsStores) describeRabbit(`realtime over RabbitMQ and Socket.io [${storeName} store]`, () => {
  let ns: string;
  let t: TestCsms;
  const sockets: Socket[] = [];
  beforeEach(async () => {
    ns = uniqueNamespace();
    t = await startCsms({ enableRabbitmq: true, rabbitmqNamespace: ns, walletSelfTopup: true, ...store });
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    await t.close();
    await deleteNamespace(RABBIT_URL, ns);
  });

  it('reports the mode in /api/config, and polling still works', async () => {
    expect(await (await t.api('/api/config')).json()).toMatchObject({ ENABLE_RABBITMQ: true, realtime: 'socket.io' });
    const customer = await aCustomer(t.store, { balance: 500 });
    const token = await login(t, customer.email, 'password-123');
    const first = await t.api('/api/user/wallet', { token });
    expect(first.status).toBe(200);
    const again = await t.api('/api/user/wallet', { token, headers: { 'if-none-match': first.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('gives each customer its own session events and none of another\'s; refuses joins to other rooms', async () => {
    const tariff = await aTariffIn(t.store, { pricePerKwh: 25 });
    await aChargePoint(t.store, { id: 'RT-1', tariffId: tariff.id, connectors: 1 });
    const alice = await aCustomer(t.store, { idTag: 'ALICE', balance: 5000 });
    const bob = await aCustomer(t.store, { idTag: 'BOB', balance: 5000 });
    const a = await connectSocket(t, await login(t, alice.email, 'password-123'));
    const b = await connectSocket(t, await login(t, bob.email, 'password-123'));
    sockets.push(a.socket, b.socket);

    const refused = await a.socket.emitWithAck('join-room', `customer:${bob.id}`);
    expect(refused).toMatchObject({ ok: false, error: { code: 'CSMS_ERR_FORBIDDEN' } });

    const cp = await t.connect('RT-1');
    await cp.call('BootNotification', aBootNotification());
    const { transactionId } = await cp.call('StartTransaction', aStartTransaction({ idTag: 'ALICE', meterStart: 0 }));
    await cp.call('MeterValues', { connectorId: 1, transactionId, meterValue: [aMeterValue({ sampledValue: [aSampledValue({ value: '2000' })] })] });
    // MeterValues goes through the event queue, StopTransaction is applied before its answer: a
    // stop sent before the reading was processed would find the session closed (no meter.values).
    await waitFor(() => a.received.some((n) => n.type === 'meter.values'));
    await cp.call('StopTransaction', aStopTransaction({ transactionId, meterStop: 4000 }));

    // The debit's wallet.updated is a notification of its own: it may come after charging.stopped.
    await waitFor(() => a.received.some((n) => n.type === 'charging.stopped') && a.received.some((n) => n.type === 'wallet.updated'));
    const types = a.received.map((n) => n.type);
    expect(types).toEqual(expect.arrayContaining(['charging.started', 'meter.values', 'charging.stopped', 'wallet.updated']));
    expect(a.received.find((n) => n.type === 'meter.values')!.data).toMatchObject({ sessionId: transactionId, energyWh: 2000, costMinor: 50 });
    expect(a.received.find((n) => n.type === 'wallet.updated')!.data).toMatchObject({ customerId: alice.id, balanceMinor: 5000 - 100 });

    // Positive control for Bob: a notification of his own arrives; nothing of Alice's came before it.
    const topUp = await t.api('/api/user/wallet/topup', { token: await login(t, bob.email, 'password-123'), body: { amount: 100 } });
    expect(topUp.status).toBe(200);
    await waitFor(() => b.received.some((n) => n.type === 'wallet.updated'));
    const leaked = b.received.filter((n) => n.data.customerId === alice.id || n.data.sessionId === transactionId);
    expect(leaked).toEqual([]);
    expect(b.received.map((n) => n.type)).not.toContain('charging.started');
  });

  it('sends charger status changes to an admin in cms:points', async () => {
    await aChargePoint(t.store, { id: 'RT-ADMIN', connectors: 2 });
    const adminToken = await login(t, 'admin@ev-csms.local', 'admin-password');
    const admin = await connectSocket(t, adminToken);
    sockets.push(admin.socket);
    expect(await admin.socket.emitWithAck('join-room', 'cms:points')).toMatchObject({ ok: true });
    const cp = await t.connect('RT-ADMIN');
    await cp.call('BootNotification', aBootNotification());
    await cp.call('StatusNotification', { connectorId: 2, errorCode: 'GroundFailure', status: 'Faulted' });
    await waitFor(() => admin.received.some((n) => n.type === 'connector.status' && n.data.status === 'Faulted'));
    expect(admin.received.find((n) => n.type === 'connector.status' && n.data.status === 'Faulted')!.data).toMatchObject({ chargePointId: 'RT-ADMIN', connectorId: 2, errorCode: 'GroundFailure' });
    // charger.status (from the boot) travels on its own: waited for, not assumed to precede.
    await waitFor(() => admin.received.some((n) => n.type === 'charger.status' && n.data.chargePointId === 'RT-ADMIN'));
  });
});
