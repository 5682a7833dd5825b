/**
 * CSMS nodes on separate hosts: each `ev-csms serve` runs in a network namespace of its own
 * (test/helpers/netns.ts), with its own address and loopback, and reaches the broker and the
 * database only over the network, at the services host's address (the root namespace, where
 * forwarders expose RabbitMQ and PostgreSQL). Both nodes run on one PostgreSQL schema of the test's
 * own. A charger connected to node A and a customer connected to node B: the customer sees the
 * charger's events through B, and a remote start sent to B reaches the charger on A, which starts a
 * session the customer then sees.
 *
 * Then node A dies by SIGKILL under load: an `ev-sim run` child process drives a fleet whose
 * chargers all start on A (`ocppUrl: [A, B]`), with sessions started by RFID and from the app through
 * B. Mid-run A is killed; the chargers fail over to B, where the running sessions go on and end.
 * Everything a charger got an answer for must be stored (ev-sim's reconciliation through B's admin
 * API), every session billed once (the wallet ledger read from PostgreSQL directly) and none left
 * open (B's API: no active session at all, so the session of the test before must have ended too).
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunResult } from '../../src/simulator/types.ts';
import { adminToken, PROCESS_ADMIN, spawnCsms, type CsmsProcess } from '../helpers/csms-process.ts';
import { waitFor } from '../helpers/csms.ts';
import { createNetns, describeNetns, type Netns } from '../helpers/netns.ts';
import { createTestSchema, postgresMissing, POSTGRES_URL, type TestSchema } from '../helpers/postgres.ts';
import { deleteNamespace, RABBIT_URL, rabbitAvailable, uniqueNamespace } from '../helpers/rabbit.ts';
import { aTestCharger, type TestCharger } from '../helpers/sim-charger.ts';
import { restCall } from '../helpers/rest.ts';

const EV_SIM = fileURLToPath(new URL('../../bin/ev-sim.js', import.meta.url));
const RABBIT_PORT = Number(new URL(RABBIT_URL).port || 5672);
const PG_PORT = Number(new URL(POSTGRES_URL).port || 5432);
const missing = (await rabbitAvailable()) ? await postgresMissing() : `RabbitMQ not reachable at ${RABBIT_URL}`;

/** The fleet of the kill -9 run: all start on node A. */
const FLEET = 30;

const api = restCall;

describeNetns('CSMS nodes on separate hosts (network namespaces)', () => {
  const rabbitNs = uniqueNamespace();
  const timings: Record<string, number> = {};
  let net: Netns;
  let schema: TestSchema;
  let a: CsmsProcess;
  let b: CsmsProcess;
  let socket: Socket | null = null;
  let charger: TestCharger | null = null;

  /** `ev-csms serve` on `host`, on the fixed ports of its own namespace, reaching the services host over the bridge. */
  async function startNode(host: 'a' | 'b'): Promise<CsmsProcess> {
    const services = net.bridgeAddress;
    // The store both nodes share: the test's schema, over the forwarder on the services host (which
    // PostgreSQL sees coming from 127.0.0.1: trust). The node creates and migrates it at start.
    const store: Record<string, string> = { DATABASE_URL: `postgres://postgres@${services}:${PG_PORT}/test`, DATABASE_SCHEMA: schema.name };
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
    schema = await createTestSchema('test_multihost');
    net = await createNetns(['a', 'b']);
    await net.forward(RABBIT_PORT);
    await net.forward(PG_PORT);
    timings['network up (ms)'] = Math.round(performance.now() - t0);
    // One after the other: both migrate the shared schema on start.
    a = await startNode('a');
    b = await startNode('b');
  }, 60_000);

  afterAll(async () => {
    socket?.close();
    if (charger?.sim.conn) charger.conn.close();
    await net?.cleanup();
    // Node A died by SIGKILL: its per-node queues went with its connection; the durable ones stay until here.
    await deleteNamespace(RABBIT_URL, rabbitNs);
    // From the test process, over 127.0.0.1: the forwarder is gone with the network.
    await schema?.drop();
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
    // Both on the test's PostgreSQL schema, reached at the services host.
    for (const node of [a, b]) {
      expect(await api(node.httpUrl, '/ready')).toMatchObject({ status: 'ready', database: true, store: { kind: 'postgres', location: expect.stringContaining(`${net.bridgeAddress}:${PG_PORT}/test`) } });
    }

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

    // The driver unplugs at the charger on A: B's API shows the session completed with the charger's meter.
    charger.sim.stop(0, 'Local');
    const stopped = await waitFor(() => charger!.stopped, 15_000);
    const done = await waitFor(async () => {
      const s = await api(b.httpUrl, `/api/cms/sessions/${tx.transactionId}`, admin);
      return s.status === 'completed' ? s : null;
    }, 15_000);
    expect(done).toMatchObject({ meterStop: stopped.meterStopWh, closedBy: 'charger' });
    charger.conn.close();
    socket.close();

    const forwarded = net.forwarded();
    timings['broker connections through the services host'] = forwarded[RABBIT_PORT] ?? 0;
    timings['database connections through the services host'] = forwarded[PG_PORT] ?? 0;
    expect(forwarded[RABBIT_PORT]).toBeGreaterThanOrEqual(2);
    expect(forwarded[PG_PORT]).toBeGreaterThanOrEqual(2);
    console.log(`multi-host (A ${net.hosts.a.address}, B ${net.hosts.b.address}, services ${net.bridgeAddress}):\n${Object.entries(timings).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);
  });

  it('loses nothing when node A dies by kill -9 under load: the chargers fail over to B, where every session ends, billed once', async () => {
    const t0 = performance.now();
    const took: Record<string, number | string> = {};
    const admin = await adminToken(b.httpUrl);
    const fleetIds = new Set(Array.from({ length: FLEET }, (_, i) => `KN-${String(i + 1).padStart(2, '0')}`));
    const sessionsAtB = async (query: string): Promise<any[]> => {
      const items: any[] = [];
      for (let offset = 0; ; offset += 200) {
        const page = await api(b.httpUrl, `/api/cms/sessions?limit=200&offset=${offset}${query}`, admin);
        items.push(...page.items);
        if (page.items.length < 200) return items.filter((x) => fleetIds.has(x.chargePointId));
      }
    };

    // The load: ev-sim as a child process in the root namespace, reaching both nodes over the bridge;
    // its REST side (setup, customers, reconciliation) on B, which stays. Every charger starts on A.
    const reportDir = join(net.tmpDir, 'report');
    const file = join(net.tmpDir, 'kill-nine.yaml');
    writeFileSync(file, `name: kill-nine
seed: 9
duration: 24s
target:
  kind: remote
  httpUrl: ${b.httpUrl}
  ocppUrl: [${a.ocppUrl}, ${b.ocppUrl}]
  admin: { email: ${PROCESS_ADMIN.email}, password: ${PROCESS_ADMIN.password} }
setup:
  tariffs:
    - { name: Kill, currency: EUR, pricePerKwh: 2000, pricePerMinute: 0, sessionFee: 0 }
chargers:
  - idPattern: KN-{00}
    count: ${FLEET}
    connectors: 1
    powerKw: [11, 22]
    heartbeatInterval: 30s
    meterValues: { interval: 1s }
    tariff: Kill
    faults: { reconnect: { initial: 0.5s, max: 2s, jitter: 0.2 } }
customers:
  count: ${FLEET}
  register: cms
  initialBalance: 100000
  sessions: { mix: { app: 1, rfid: 1 }, interval: [0.5s, 1.5s], duration: [5s, 9s] }
phases:
  rampUp: { rate: 100 }
notifications: { lossDeadline: 5s }
# Judged on what the CSMS kept, not on speed: a loaded machine must not end the run as overloaded.
generator: { maxEventLoopP99: 2s, sustain: 60s }
thresholds:
  - ocpp.acked_lost == 0
  - sessions.stuck == 0
  - billing.mismatches == 0
  - failovers.total == ${FLEET}
`);
    const sim = spawn(process.execPath, [EV_SIM, 'run', file, '--report-dir', reportDir, '--no-dashboard'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let simOut = '';
    sim.stdout.on('data', (d: Buffer) => (simOut += d.toString()));
    sim.stderr.on('data', (d: Buffer) => (simOut += d.toString()));
    const simExit = new Promise<number | null>((resolve) => sim.once('exit', (code) => resolve(code)));
    let simDone = false;
    void simExit.then(() => (simDone = true));
    try {
      // Mid-run: the whole fleet online at A and a third of it charging (metered) there.
      let onlineAt: number | null = null;
      const running = await waitFor(async () => {
        if (simDone) throw new Error(`ev-sim ended before node A was killed:\n${simOut}`);
        const points = (await api(b.httpUrl, '/api/cms/points?limit=200', admin)).items.filter((p: any) => fleetIds.has(p.id));
        if (points.length < FLEET || points.some((p: any) => !p.online)) return null;
        onlineAt ??= performance.now();
        const metering = (await sessionsAtB('&status=active')).filter((x) => x.energyWh > 0);
        return metering.length >= FLEET / 3 ? metering : null;
      }, 60_000);
      took['fleet online on A (ms after ev-sim started)'] = Math.round(onlineAt! - t0);
      took['killed A (ms after the fleet was online)'] = Math.round(performance.now() - onlineAt!);
      took['sessions metering on A when killed'] = running.length;
      const killedAt = new Date().toISOString();
      expect(a.child.exitCode).toBeNull();
      await a.kill('SIGKILL');
      expect(a.child.signalCode).toBe('SIGKILL');
      const tKill = performance.now();

      // The run goes on at B to its end: ramp-down, then ev-sim's reconciliation against B's admin API.
      const code = await Promise.race([simExit, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 100_000).unref())]);
      if (code === 'timeout') throw new Error(`ev-sim did not end within 100 s of the kill:\n${simOut.slice(-4000)}`);
      took['ev-sim ended (ms after the kill)'] = Math.round(performance.now() - tKill);
      const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as RunResult;
      const rec = report.final.reconciliation;
      if (!rec) throw new Error(`ev-sim did not reconcile:\n${simOut.slice(-4000)}`);

      // Outcome through B's REST API and, for the wallet ledger, straight from PostgreSQL.
      const sessions = await sessionsAtB(`&from=${encodeURIComponent(report.startedAt)}`);
      const leftOpen = (await api(b.httpUrl, '/api/cms/sessions?status=active&limit=1', admin)).total as number;
      const db = new pg.Client({ connectionString: POSTGRES_URL });
      await db.connect();
      // Per completed session of a customer: its `charge` entries, and all that was debited for it
      // (charge and adjustment entries naming it). One charge entry per session is also a unique
      // index of the schema; a second debit of another kind is not, so both are counted.
      let debits: { id: number; cost: number; charges: number; debited: number }[];
      try {
        await db.query(`SET search_path TO "${schema.name}"`);
        debits = (await db.query(`SELECT s.id, s.cost_minor::int AS cost,
                 (count(w.id) FILTER (WHERE w.kind = 'charge'))::int AS charges,
                 (-COALESCE(sum(w.amount_minor) FILTER (WHERE w.kind IN ('charge', 'adjustment')), 0))::int AS debited
            FROM sessions s LEFT JOIN wallet_entries w ON w.session_id = s.id
           WHERE s.status = 'completed' AND s.customer_id IS NOT NULL AND s.charge_point_id LIKE 'KN-%'
           GROUP BY s.id`)).rows;
      } finally {
        await db.end();
      }
      const doubleDebits = debits.filter((d) => d.charges > 1 || d.debited > d.cost).length;
      const missingDebits = debits.filter((d) => d.cost > 0 && (d.charges === 0 || d.debited < d.cost)).length;
      const failovers = report.final.failovers.total;
      console.log(`multi-host kill -9: sessions ${sessions.length}, acknowledged lost ${rec.ackedLost}, double debits ${doubleDebits}, left open ${leftOpen}, failovers ${failovers}`);
      took['test (ms)'] = Math.round(performance.now() - t0);
      const errors = report.final.errors;
      took['debited sessions (missing debits)'] = `${debits.filter((d) => d.debited > 0).length} (${missingDebits})`;
      took['ev-sim errors (unexpected)'] = `${errors.total} (${errors.unexpected}): ${errors.top.slice(0, 4).map((e) => `${e.key} ${e.count}`).join(', ')}`;
      took.reconciliation = JSON.stringify({ ...rec, findings: rec.findings.slice(0, 5) });
      console.log(`multi-host kill -9 details:\n${Object.entries(took).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);

      // Nothing acknowledged lost: every transactionId a charger got is a session, completed with its meterStop; every acknowledged reading stored.
      expect(rec).toMatchObject({ ackedLost: 0, sessionsStuck: 0, billingMismatches: 0 });
      expect(rec.checked.starts).toBeGreaterThanOrEqual(running.length);
      expect(leftOpen).toBe(0);
      expect(doubleDebits).toBe(0);
      // Billed exactly once: one charge entry per session that cost anything, for its cost, and nothing else debited for it.
      expect(missingDebits).toBe(0);
      expect(debits.filter((d) => d.cost > 0 && (d.charges !== 1 || d.debited !== d.cost))).toEqual([]);
      expect(debits.filter((d) => d.cost > 0).length).toBeGreaterThanOrEqual(running.length);
      // Every charger was on A and came online at B.
      expect(failovers).toBe(FLEET);
      // Closed by their chargers' StopTransaction, none by the CSMS (no session had to be written off).
      expect(sessions.filter((x) => x.status !== 'completed' || x.closedBy !== 'charger').map((x) => `${x.id} ${x.status} ${x.closedBy}`)).toEqual([]);

      // The sessions that ran on A when it died went on at B: readings after the kill stored there, then their stop.
      const byId = new Map(sessions.map((x) => [x.id, x]));
      let meteredAfterKill = 0;
      for (const r of running) {
        const done = byId.get(r.id);
        expect(done, `session ${r.id}`).toMatchObject({ status: 'completed', closedBy: 'charger' });
        expect(done.stoppedAt > r.lastMeterAt).toBe(true);
        // One that went on for more than two meter intervals after the kill sampled after it.
        if (Date.parse(done.stoppedAt) - Date.parse(killedAt) < 2000) continue;
        const points = (await api(b.httpUrl, `/api/cms/sessions/${r.id}/meter-values`, admin)).items as { at: string }[];
        expect(points.some((p) => p.at > killedAt), `session ${r.id}: a reading after the kill`).toBe(true);
        meteredAfterKill++;
      }
      console.log(`multi-host kill -9: ${meteredAfterKill} of the ${running.length} sessions running on A at the kill stored readings taken after it on B`);
      expect(meteredAfterKill).toBeGreaterThan(0);
      // And ev-sim judged the same: its thresholds (reconciliation, failovers) all held.
      expect(code, simOut.slice(-4000)).toBe(0);
      expect(report.reason).toBe('all 4 thresholds held');
    } finally {
      if (sim.exitCode === null && sim.signalCode === null) {
        sim.kill('SIGKILL');
        await simExit;
      }
    }
  }, 150_000);
}, missing);
