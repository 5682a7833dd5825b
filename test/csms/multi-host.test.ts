/**
 * CSMS nodes on separate hosts: each `ev-csms serve` runs in a network namespace of its own
 * (test/helpers/netns.ts), with its own address and loopback, and reaches the broker and the
 * database only over the network, at the services host's address (the root namespace, where
 * forwarders expose RabbitMQ and PostgreSQL). A charger connected to node A and a customer connected
 * to node B: the customer sees the charger's events through B, and a remote start sent to B reaches
 * the charger on A, which starts a session the customer then sees.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { adminToken, spawnCsms, type CsmsProcess } from '../helpers/csms-process.ts';
import { waitFor } from '../helpers/csms.ts';
import { createNetns, describeNetns, type Netns } from '../helpers/netns.ts';
import { deleteNamespace, RABBIT_URL, rabbitAvailable, uniqueNamespace } from '../helpers/rabbit.ts';
import { aTestCharger, type TestCharger } from '../helpers/sim-charger.ts';

const RABBIT_PORT = Number(new URL(RABBIT_URL).port || 5672);
const PG_PORT = 5432;
const rabbitMissing = (await rabbitAvailable()) ? null : `RabbitMQ not reachable at ${RABBIT_URL}`;

async function api(base: string, path: string, token?: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { ...(token && { authorization: `Bearer ${token}` }), ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

describeNetns('CSMS nodes on separate hosts (network namespaces)', () => {
  const rabbitNs = uniqueNamespace();
  const timings: Record<string, number> = {};
  let net: Netns;
  let a: CsmsProcess;
  let b: CsmsProcess;
  let socket: Socket | null = null;
  let charger: TestCharger | null = null;

  /** `ev-csms serve` on `host`, on the fixed ports of its own namespace, reaching the services host over the bridge. */
  async function startNode(host: 'a' | 'b'): Promise<CsmsProcess> {
    const services = net.bridgeAddress;
    // The store both nodes share: one SQLite file on the shared filesystem (removed with the network). With PostgreSQL this
    // line becomes { DATABASE_URL: `postgres://postgres@${services}:${PG_PORT}/test?options=-c%20search_path%3D<schema>` }.
    const store: Record<string, string> = { DB_PATH: join(net.tmpDir, 'shared.db') };
    const t0 = performance.now();
    const node = await spawnCsms(null, { host: '0.0.0.0', port: 3000, 'ocpp-port': 9000 }, {
      launch: (cmd, args, env) => net.exec(host, cmd, args, env),
      address: net.hosts[host].address,
      env: {
        ...store,
        NODE_ID: `node-${host}`,
        ENABLE_RABBITMQ: 'true',
        RABBITMQ_URL: `amqp://guest:guest@${services}:${RABBIT_PORT}`,
        RABBITMQ_NAMESPACE: rabbitNs,
        WALLET_SELF_TOPUP: 'true',
      },
    });
    timings[`node ${host.toUpperCase()} ready (ms)`] = Math.round(performance.now() - t0);
    return node;
  }

  beforeAll(async () => {
    const t0 = performance.now();
    net = await createNetns(['a', 'b']);
    await net.forward(RABBIT_PORT);
    await net.forward(PG_PORT);
    timings['network up (ms)'] = Math.round(performance.now() - t0);
    // One after the other: both migrate the shared database file on start.
    a = await startNode('a');
    b = await startNode('b');
  }, 60_000);

  afterAll(async () => {
    socket?.close();
    if (charger?.sim.conn) charger.conn.close();
    await net?.cleanup();
    await deleteNamespace(RABBIT_URL, rabbitNs);
  });

  it('gives each node a loopback of its own: the services host is reachable only over the bridge', async () => {
    // What a node inside namespace A finds on its own 127.0.0.1 and at the services host's address.
    const probe = (address: string) => new Promise<string>((resolve, reject) => {
      const script = `require('net').connect(${RABBIT_PORT}, '${address}').on('connect', () => { console.log('open'); process.exit(0); }).on('error', (e) => { console.log(e.code); process.exit(0); });`;
      const child = net.exec('a', process.execPath, ['-e', script]);
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.once('error', reject);
      child.once('exit', () => resolve(out.trim()));
    });
    expect(await probe('127.0.0.1')).toBe('ECONNREFUSED');
    expect(await probe(net.bridgeAddress)).toBe('open');
  });

  it('shows a charger on node A to a customer on node B, and B\'s remote start reaches it', async () => {
    expect(a.httpUrl).toBe(`http://${net.hosts.a.address}:3000`);
    expect(b.ocppUrl).toBe(`ws://${net.hosts.b.address}:9000/ocpp`);

    // Everything through node B: the point, the customer, the wallet.
    const admin = await adminToken(b.httpUrl);
    const tariff = await api(b.httpUrl, '/api/cms/tariffs', admin, { name: 'Two hosts', currency: 'EUR', pricePerKwh: 30 });
    await api(b.httpUrl, '/api/cms/points', admin, { id: 'HOST-CP-1', tariffId: tariff.id, connectors: 1 });
    const { token } = await api(b.httpUrl, '/api/user/register', undefined, { email: 'two@hosts.test', password: 'password-123', name: 'Two Hosts' });
    await api(b.httpUrl, '/api/user/wallet/topup', token, { amount: 5000 });
    const me = await api(b.httpUrl, '/api/user/me', token);

    const received: { type: string; data: any; at: number }[] = [];
    socket = io(b.httpUrl, { auth: { token }, transports: ['websocket'] });
    socket.on('notification', (n: { type: string; data: any }) => received.push({ ...n, at: performance.now() }));
    await new Promise<void>((resolve, reject) => {
      socket!.once('connect', () => resolve());
      socket!.once('connect_error', reject);
    });
    // Availability of every charger, as the customer app's map asks for it.
    expect(await socket.emitWithAck('join-room', 'public:stations')).toMatchObject({ ok: true });

    // The charger on node A, from the root namespace over the bridge.
    const t0 = performance.now();
    charger = await aTestCharger({ info: { ocppUrl: a.ocppUrl, httpUrl: a.httpUrl } }, 'HOST-CP-1');
    timings['charger booted on A (ms)'] = Math.round(performance.now() - t0);
    const available = await waitFor(() => received.find((n) => n.type === 'connector.status' && n.data.chargePointId === 'HOST-CP-1' && n.data.status === 'Available'), 15_000);
    timings['its Available seen on B (ms after connecting)'] = Math.round(available.at - t0);

    // The remote start, asked of node B, answered by the charger on node A.
    const t1 = performance.now();
    const started = await api(b.httpUrl, '/api/user/charging/start', token, { chargePointId: 'HOST-CP-1', connectorId: 1 });
    timings['remote start round trip B→A→charger→B (ms)'] = Math.round(performance.now() - t1);
    expect(started.status).toBe('Accepted');
    expect(charger.received.filter((m) => m.action === 'RemoteStartTransaction').map((m) => m.payload)).toEqual([{ connectorId: 1, idTag: me.idTag }]);

    const tx = await waitFor(() => charger!.transaction, 15_000);
    const startedNote = await waitFor(() => received.find((n) => n.type === 'charging.started'), 15_000);
    timings['charging.started seen on B (ms after the start request)'] = Math.round(startedNote.at - t1);
    expect(startedNote.data).toMatchObject({ sessionId: tx.transactionId, chargePointId: 'HOST-CP-1', customerId: me.id, connectorId: 1 });

    await charger.meter(1500, 7200, 60);
    const meterNote = await waitFor(() => received.find((n) => n.type === 'meter.values' && n.data.energyWh === 1500), 15_000);
    expect(meterNote.data.sessionId).toBe(tx.transactionId);

    // And over B's REST API: the customer's running session, with the energy the charger on A reported.
    const active = await api(b.httpUrl, '/api/user/sessions/active', token);
    expect(active.items).toEqual([expect.objectContaining({ id: tx.transactionId, chargePointId: 'HOST-CP-1', energyWh: 1500 })]);
    expect(charger.failure).toBeNull();

    const forwarded = net.forwarded();
    timings['broker connections through the services host'] = forwarded[RABBIT_PORT] ?? 0;
    expect(forwarded[RABBIT_PORT]).toBeGreaterThanOrEqual(2);
    console.log(`multi-host (A ${net.hosts.a.address}, B ${net.hosts.b.address}, services ${net.bridgeAddress}):\n${Object.entries(timings).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);
  });
}, rabbitMissing);
