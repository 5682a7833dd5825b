/**
 * Nothing acknowledged is lost when the CSMS process dies: chargers are answered, the process is
 * killed with SIGKILL in the same turn as the last answer, and a new process on the same database
 * must end up with every acknowledged StopTransaction and MeterValues applied and billed once.
 * Real processes, real SQLite files, the real broker in RabbitMQ mode.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectOcpp, type OcppConnection } from '../../../src/ocpp/index.ts';
import { aBootNotification, aMeterValue, aMeterValues, aSampledValue, aStartTransaction, aStopTransaction } from '../../../src/ocpp/builders.ts';
import { createSqliteStore } from '../../../src/csms/store/index.ts';
import { adminToken, getJson, killAllCsms, spawnCsms, type CsmsProcess } from '../../helpers/csms-process.ts';
import { deleteNamespace, describeRabbit, RABBIT_URL, uniqueNamespace } from '../../helpers/rabbit.ts';

const CHARGERS = 30;
const BALANCE = 10_000;
const PRICE_PER_KWH = 30;

interface Seeded {
  dir: string;
  dbPath: string;
  ids: string[];
  tags: string[];
  customerIds: number[];
}

/** A database with CHARGERS charge points and one customer (idTag, balance) per charger. */
async function seed(): Promise<Seeded> {
  const dir = await mkdtemp(join(tmpdir(), 'crash-'));
  const dbPath = join(dir, 'csms.db');
  const store = createSqliteStore(dbPath);
  const ids: string[] = [];
  const tags: string[] = [];
  const customerIds: number[] = [];
  await store.transaction(async () => {
    const tariff = await store.tariffs.create({ name: 'crash', currency: 'EUR', pricePerKwh: PRICE_PER_KWH });
    for (let i = 0; i < CHARGERS; i++) {
      ids.push(`CRASH-${i}`);
      tags.push(`CT${i}`);
      await store.chargePoints.create({ id: ids[i], connectors: 1, tariffId: tariff.id, registrationStatus: 'Accepted' });
      const user = await store.users.create({ email: `crash${i}@test.local`, name: `Crash ${i}`, passwordHash: 'x', role: 'customer', idTag: tags[i] });
      customerIds.push(user.id);
      await store.wallet.add({ customerId: user.id, amountMinor: BALANCE, kind: 'topup', createdAt: new Date().toISOString() });
    }
  });
  await store.close();
  return { dir, dbPath, ids, tags, customerIds };
}

interface Running {
  conn: OcppConnection<any, any, unknown>;
  transactionId: number;
  meterStop: number;
  meterTimestamps: string[];
}

/** Boots each charger, starts a transaction and sends two MeterValues (all acknowledged). */
async function chargeAll(csms: CsmsProcess, s: Seeded): Promise<Running[]> {
  return Promise.all(s.ids.map(async (id, i) => {
    const conn = await connectOcpp(csms.ocppUrl, id);
    await conn.call('BootNotification', aBootNotification());
    const start = await conn.call('StartTransaction', aStartTransaction({ idTag: s.tags[i], meterStart: 1000 }));
    expect(start.idTagInfo.status).toBe('Accepted');
    const meterTimestamps: string[] = [];
    for (const wh of [1500, 2000 + i]) {
      const mv = aMeterValue({ sampledValue: [aSampledValue({ value: String(wh) })] });
      await conn.call('MeterValues', aMeterValues({ transactionId: start.transactionId, meterValue: [mv] }));
      meterTimestamps.push(mv.timestamp);
    }
    return { conn, transactionId: start.transactionId, meterStop: 3000 + i * 10, meterTimestamps };
  }));
}

/** Every charger stops at once; the process is killed in the same turn as the last answer. */
async function stopAllThenKill(csms: CsmsProcess, running: Running[]): Promise<void> {
  let left = running.length;
  let killed: Promise<void> | null = null;
  await Promise.all(running.map(async (r) => {
    await r.conn.call('StopTransaction', aStopTransaction({ transactionId: r.transactionId, meterStop: r.meterStop, reason: 'Local' }));
    if (--left === 0) killed = csms.kill('SIGKILL');
  }));
  await killed;
  for (const r of running) r.conn.close();
}

interface SessionJson { id: number; status: string; meterStop: number | null; energyWh: number; costMinor: number; closedBy: string | null; stopReason: string | null }

/** After a restart: every acknowledged stop is a completed, billed session; every acknowledged MeterValues is stored. */
async function expectNothingLost(csms: CsmsProcess, s: Seeded, running: Running[]): Promise<void> {
  const token = await adminToken(csms.httpUrl);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const active = await getJson<{ total: number }>(`${csms.httpUrl}/api/cms/sessions?status=active&limit=1`, token);
    if (active.total === 0) break;
    if (Date.now() > deadline) throw new Error(`${active.total} acknowledged stops still not applied after the restart`);
    await new Promise((r) => setTimeout(r, 200));
  }
  for (const [i, r] of running.entries()) {
    const session = await getJson<SessionJson>(`${csms.httpUrl}/api/cms/sessions/${r.transactionId}`, token);
    const energyWh = r.meterStop - 1000;
    const cost = Math.round((energyWh * PRICE_PER_KWH) / 1000);
    expect(session).toMatchObject({ status: 'completed', meterStop: r.meterStop, energyWh, costMinor: cost, closedBy: 'charger', stopReason: 'Local' });
    const customer = await getJson<{ balanceMinor: number }>(`${csms.httpUrl}/api/cms/customers/${s.customerIds[i]}`, token);
    expect(customer.balanceMinor).toBe(BALANCE - cost);
  }
  // The acknowledged MeterValues are stored too (the samples of each session, straight from the file).
  const store = createSqliteStore(s.dbPath);
  try {
    for (const r of running) {
      const stored = new Set((await store.sessions.meterSamples(r.transactionId)).map((m) => m.timestamp));
      for (const ts of r.meterTimestamps) expect(stored.has(new Date(ts).toISOString())).toBe(true);
    }
  } finally {
    await store.close();
  }
}

let dirs: string[] = [];
afterEach(async () => {
  await killAllCsms();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  dirs = [];
});

describe('kill -9 right after a burst of StopTransactions (embedded)', () => {
  it('a new process on the same database applies and bills every acknowledged stop and MeterValues', async () => {
    const s = await seed();
    dirs.push(s.dir);
    const first = await spawnCsms(s.dbPath);
    const running = await chargeAll(first, s);
    await stopAllThenKill(first, running);
    const second = await spawnCsms(s.dbPath);
    expect(second.pid).not.toBe(first.pid);
    await expectNothingLost(second, s, running);
  }, 90_000);
});

describeRabbit('kill -9 right after a burst of StopTransactions (RabbitMQ)', () => {
  let ns = '';
  afterEach(async () => {
    await killAllCsms();
    if (ns) await deleteNamespace(RABBIT_URL, ns);
    ns = '';
  });

  it('a new process (another node id) on the same database applies and bills every acknowledged stop and MeterValues', async () => {
    ns = uniqueNamespace();
    const s = await seed();
    dirs.push(s.dir);
    const flags = { 'enable-rabbitmq': 'true', 'rabbitmq-url': RABBIT_URL, 'rabbitmq-namespace': ns };
    const first = await spawnCsms(s.dbPath, flags);
    const running = await chargeAll(first, s);
    await stopAllThenKill(first, running);
    const second = await spawnCsms(s.dbPath, flags);
    await expectNothingLost(second, s, running);
  }, 90_000);
});

describe('a restart under a charger that reboots and reports Available', () => {
  it('closes and bills its session within seconds, and a driver can start on that connector again', async () => {
    const s = await seed();
    dirs.push(s.dir);
    const first = await spawnCsms(s.dbPath);
    const [cp, tag, customerId] = [s.ids[0], s.tags[0], s.customerIds[0]];
    const conn = await connectOcpp(first.ocppUrl, cp);
    await conn.call('BootNotification', aBootNotification());
    const { transactionId } = await conn.call('StartTransaction', aStartTransaction({ idTag: tag, meterStart: 1000 }));
    await conn.call('MeterValues', aMeterValues({ transactionId, meterValue: [aMeterValue({ sampledValue: [aSampledValue({ value: '4000' })] })] }));
    await first.kill('SIGKILL');
    conn.close();

    // The charger lost power too: it comes back, boots and reports its connector Available, with
    // no StopTransaction (it did not keep the transaction).
    const second = await spawnCsms(s.dbPath);
    const remoteStarts: unknown[] = [];
    const back = await connectOcpp(second.ocppUrl, cp);
    back.handle('RemoteStartTransaction', (req) => {
      remoteStarts.push(req);
      return { status: 'Accepted' };
    });
    await back.call('BootNotification', aBootNotification());
    await back.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available' });
    const token = await adminToken(second.httpUrl);
    // The deadline only reports a hang (within the test's timeout); how long the close takes is not judged.
    const deadline = Date.now() + 30_000;
    let session: SessionJson;
    for (;;) {
      session = await getJson<SessionJson>(`${second.httpUrl}/api/cms/sessions/${transactionId}`, token);
      if (session.status !== 'active' || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(session).toMatchObject({ status: 'completed', closedBy: 'csms', meterStop: 4000, energyWh: 3000, costMinor: 90 });
    const customer = await getJson<{ balanceMinor: number; email: string }>(`${second.httpUrl}/api/cms/customers/${customerId}`, token);
    expect(customer.balanceMinor).toBe(BALANCE - 90);

    // The driver starts again from the app: the connector is free.
    const res = await fetch(`${second.httpUrl}/api/cms/customers/${customerId}`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ password: 'driver-password' }) });
    expect(res.status).toBe(200);
    const login = await fetch(`${second.httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: customer.email, password: 'driver-password' }) });
    const driver = ((await login.json()) as { token: string }).token;
    const start = await fetch(`${second.httpUrl}/api/user/charging/start`, { method: 'POST', headers: { authorization: `Bearer ${driver}`, 'content-type': 'application/json' }, body: JSON.stringify({ chargePointId: cp, connectorId: 1 }) });
    expect(start.status, await start.clone().text()).toBe(202);
    expect(remoteStarts).toEqual([{ connectorId: 1, idTag: tag }]);
    const next = await back.call('StartTransaction', aStartTransaction({ idTag: tag, meterStart: 4000 }));
    expect(next.idTagInfo.status).toBe('Accepted');
    back.close();
  }, 60_000);
});
