/**
 * Two `ev-csms serve` processes share the broker and the database file. A customer connected to
 * node A sees the events of a charger connected to node B, and a remote start sent to A reaches it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { aBootNotification, aMeterValue, aSampledValue, connectOcpp, type OcppConnection } from '../../src/ocpp/index.ts';
import { deleteNamespace, describeRabbit, uniqueNamespace } from '../helpers/rabbit.ts';
import { waitFor } from '../helpers/csms.ts';
import { restCall } from '../helpers/rest.ts';

const BIN = new URL('../../bin/ev-csms.js', import.meta.url).pathname;
const RABBIT_URL = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

interface Node {
  child: ChildProcess;
  http: string;
  ocpp: string;
}

async function startNode(env: Record<string, string>): Promise<Node> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--ocpp-port', '0', '--host', '127.0.0.1'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const deadline = Date.now() + 45_000;
  while (!/OCPP 1\.6J\s+(\S+)\/\{/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`node did not start: ${out}\n${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, http: /REST API\s+(\S+)\/api/.exec(out)![1], ocpp: /OCPP 1\.6J\s+(\S+)\/\{/.exec(out)![1] };
}

const api = restCall;

describeRabbit('two CSMS nodes on one broker and one database', () => {
  const ns = uniqueNamespace();
  const dir = mkdtempSync(join(tmpdir(), 'ev-nodes-'));
  const env = {
    ENABLE_RABBITMQ: 'true',
    RABBITMQ_URL: RABBIT_URL,
    RABBITMQ_NAMESPACE: ns,
    DB_PATH: join(dir, 'shared.db'),
    JWT_SECRET: 'shared-secret-for-both-nodes',
    ADMIN_PASSWORD: 'admin-password',
    LOG_LEVEL: 'warn',
    WALLET_SELF_TOPUP: 'true',
  };
  let a: Node;
  let b: Node;
  let socket: Socket | null = null;
  let charger: OcppConnection<any, any, unknown> | null = null;

  beforeAll(async () => {
    a = await startNode({ ...env, NODE_ID: 'node-a' });
    b = await startNode({ ...env, NODE_ID: 'node-b' });
  }, 120_000);

  afterAll(async () => {
    socket?.close();
    charger?.close();
    for (const n of [a, b]) {
      if (!n) continue;
      n.child.kill('SIGTERM');
      await new Promise((r) => n.child.once('exit', r));
    }
    await deleteNamespace(RABBIT_URL, ns);
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers a charger on B to a customer on A, and A\'s remote start to the charger on B', async () => {
    const admin = (await api(a.http, '/api/auth/login', undefined, { email: 'admin@ev-csms.local', password: 'admin-password' })).token;
    const tariff = await api(a.http, '/api/cms/tariffs', admin, { name: 'Two nodes', currency: 'EUR', pricePerKwh: 30 });
    await api(a.http, '/api/cms/points', admin, { id: 'NODE-CP-1', tariffId: tariff.id, connectors: 1 });
    const { token } = await api(a.http, '/api/user/register', undefined, { email: 'two@nodes.test', password: 'password-123', name: 'Two Nodes' });
    await api(a.http, '/api/user/wallet/topup', token, { amount: 5000 });
    const me = await api(a.http, '/api/user/me', token);

    const received: { type: string; data: any }[] = [];
    socket = io(a.http, { auth: { token }, transports: ['websocket'] });
    socket.on('notification', (n) => received.push(n));
    await new Promise<void>((resolve, reject) => {
      socket!.once('connect', () => resolve());
      socket!.once('connect_error', reject);
    });

    const remoteStarts: unknown[] = [];
    charger = await connectOcpp(b.ocpp, 'NODE-CP-1');
    charger.handle('RemoteStartTransaction', (req: unknown) => {
      remoteStarts.push(req);
      return { status: 'Accepted' };
    });
    await charger.call('BootNotification', aBootNotification());
    await charger.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available' });
    // The StatusNotification travels through the broker to a processor on either node.
    const deadline = Date.now() + 30_000;
    while ((await api(a.http, '/api/user/chargers/NODE-CP-1', token)).connectors?.[0]?.status !== 'Available') {
      if (Date.now() > deadline) throw new Error('connector never became Available');
      await new Promise((r) => setTimeout(r, 50));
    }

    const started = await api(a.http, '/api/user/charging/start', token, { chargePointId: 'NODE-CP-1', connectorId: 1 });
    expect(started.status).toBe('Accepted');
    expect(remoteStarts).toEqual([{ connectorId: 1, idTag: me.idTag }]);

    const { transactionId } = await charger.call('StartTransaction', { connectorId: 1, idTag: me.idTag, meterStart: 0, timestamp: new Date().toISOString() });
    await charger.call('MeterValues', { connectorId: 1, transactionId, meterValue: [aMeterValue({ sampledValue: [aSampledValue({ value: '1500' })] })] });

    await waitFor(() => received.some((n) => n.type === 'charging.started') && received.some((n) => n.type === 'meter.values' && n.data.energyWh === 1500), 10_000);
    expect(received.find((n) => n.type === 'charging.started')!.data).toMatchObject({ sessionId: transactionId, chargePointId: 'NODE-CP-1', customerId: me.id });
  });
});
