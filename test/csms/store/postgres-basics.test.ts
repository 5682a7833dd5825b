/**
 * The PostgreSQL adapter against a real server (127.0.0.1:5432, database `test`): each test gets a
 * schema of its own, dropped afterwards. What only PostgreSQL has is tested here (migrations under
 * an advisory lock, transactions joined through AsyncLocalStorage, row locks, concurrent writers);
 * the repositories' behaviour is the shared store contract's. Without a server the suite is skipped
 * loudly; in CI (CI=true) it fails instead.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, migratePostgres, openPostgresStore, type PostgresStore } from '../../../src/csms/store/index.ts';
import { aChargePoint, aLogEntry, aMeterSample, aNewSession, aStation, aTariffInput, aUser } from '../builders.ts';

/** The only place this file reads the environment. */
const env = (name: string): string | undefined => process.env[name];

const PG_URL = 'postgres://127.0.0.1:5432/test';

async function reachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const available = await reachable();
if (!available && env('CI') === 'true') throw new Error(`PostgreSQL not reachable at ${PG_URL}: CI=true, so the PostgreSQL store tests fail instead of skipping`);
if (!available) console.warn(`\n*** PostgreSQL not reachable at ${PG_URL}: skipping the PostgreSQL store tests ***\n`);

/** Polls an async condition; the deadline only turns a hang into an error. */
async function waitUntil(fn: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('waitUntil timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}


describe.skipIf(!available)('PostgreSQL store', () => {
  const schemas: string[] = [];
  const stores: PostgresStore[] = [];

  /** Releases what a test left waiting (a transaction held open), even when an assertion failed. */
  const releases: Array<() => void> = [];

  afterEach(async () => {
    for (const release of releases.splice(0)) release();
    try {
      await Promise.all(stores.splice(0).map((s) => s.close()));
    } finally {
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      try {
        for (const schema of schemas.splice(0)) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await admin.end();
      }
    }
  });

  /** A promise a test resolves when it is ready; afterEach resolves it too, so nothing stays open. */
  function deferred(): { promise: Promise<void>; resolve: () => void } {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    releases.push(resolve);
    return { promise, resolve };
  }

  function newSchema(): string {
    const schema = `csms_test_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    return schema;
  }

  async function open(schema: string, at = '2024-05-01T12:00:00.000Z'): Promise<PostgresStore> {
    const store = await openPostgresStore(PG_URL, { schema, now: () => new Date(at), poolSize: 4 });
    stores.push(store);
    return store;
  }

  /** Is some backend waiting for a lock that the backend `pid` holds? */
  async function blocksSomeone(store: PostgresStore, pid: number): Promise<boolean> {
    const row = await store.pool.query<{ blocked: boolean }>(
      'SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE $1::int = ANY (pg_blocking_pids(pid))) AS blocked',
      [pid],
    );
    return row.rows[0].blocked;
  }

  const backendPid = async (store: PostgresStore) => (await store.db.first<{ pid: number }>('SELECT pg_backend_pid() AS pid'))!.pid;

  it('survives its connection being killed inside a transaction: the transaction fails as unavailable, the store goes on', async () => {
    const store = await open(newSchema());
    const other = await open(newSchema());
    const failed = store.transaction(async () => {
      await store.stations.create(aStation({ name: 'lost with the connection' }));
      // Another connection ends this one, as a server restart or failover would, mid-transaction.
      await other.db.query('SELECT pg_terminate_backend($1)', [await backendPid(store)]);
      await store.stations.create(aStation({ name: 'never written' }));
    });
    await expect(failed).rejects.toMatchObject({ code: 'CSMS_ERR_DATABASE_UNAVAILABLE' });
    // The process is still here (an unheard 'error' event would have ended it) and the pool recovers.
    expect(await store.ping()).toBe(true);
    expect(await store.stations.count()).toBe(0);
  });

  describe('migrations', () => {
    it('apply every step into the schema, and re-apply as a no-op that keeps the data', async () => {
      const schema = newSchema();
      const first = await open(schema);
      expect(first.kind).toBe('postgres');
      expect(first.location).toBe(`postgres 127.0.0.1:5432/test schema ${schema}`);
      const applied = await first.pool.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version');
      expect(applied.rows).toEqual(MIGRATIONS.map((m, i) => ({ version: i + 1, name: m.name })));
      const tables = await first.pool.query<{ n: number }>(
        `SELECT COUNT(*)::int AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name IN ('users', 'sessions', 'wallet_entries', 'id_tags', 'outbox')`,
        [schema],
      );
      expect(tables.rows[0].n).toBe(5);
      const station = await first.stations.create(aStation({ name: 'kept' }));
      await first.close();
      expect(await first.ping()).toBe(false);

      const second = await open(schema);
      expect(await second.ping()).toBe(true);
      expect((await second.stations.get(station.id))?.name).toBe('kept');
      expect(await migratePostgres(second.pool, { schema, now: () => 'now' })).toBe(MIGRATIONS.length);
      const count = await second.pool.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM schema_migrations');
      expect(count.rows[0].n).toBe(MIGRATIONS.length);
    });

    it('refuse a database written by a newer build', async () => {
      const schema = newSchema();
      const store = await open(schema);
      await store.pool.query(`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'from the future', 'x')`, [MIGRATIONS.length + 1]);
      await expect(openPostgresStore(PG_URL, { schema })).rejects.toMatchObject({ code: 'CSMS_ERR_CONFIG' });
    });

    it('let two nodes that start at once on one schema both open it, each step applied once', async () => {
      const schema = newSchema();
      const [a, b] = await Promise.all([open(schema), open(schema)]);
      const count = await a.pool.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM schema_migrations');
      expect(count.rows[0].n).toBe(MIGRATIONS.length);
      const station = await a.stations.create(aStation());
      expect((await b.stations.get(station.id))?.id).toBe(station.id);
    });
  });

  describe('transactions', () => {
    it('roll back whole on a throw; a nested transaction is a savepoint that rolls back alone', async () => {
      const store = await open(newSchema());
      await expect(
        store.transaction(async () => {
          await store.stations.create(aStation({ name: 'outer' }));
          await store.transaction(() => store.stations.create(aStation({ name: 'inner' })));
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.stations.list()).toEqual([]);

      const result = await store.transaction(async () => {
        await store.stations.create(aStation({ name: 'kept' }));
        await store.transaction(async () => {
          await store.stations.create(aStation({ name: 'undone' }));
          throw new Error('inner');
        }).catch(() => undefined);
        await store.transaction(() => store.stations.create(aStation({ name: 'released' })));
        return 42;
      });
      expect(result).toBe(42);
      expect((await store.stations.list()).map((s) => s.name)).toEqual(['kept', 'released']);
    });

    it('a mapped constraint error inside a transaction leaves it usable (users.create in a savepoint)', async () => {
      const store = await open(newSchema());
      await store.users.create(aUser({ idTag: 'TAKEN' }));
      const names = await store.transaction(async () => {
        await expect(store.users.create(aUser({ idTag: 'taken', name: 'Undone' }))).rejects.toMatchObject({ code: 'CSMS_ERR_ID_TAG_TAKEN' });
        await store.stations.create(aStation({ name: 'after' }));
        return (await store.users.list({})).map((u) => u.name);
      });
      expect(names).not.toContain('Undone');
      expect((await store.stations.list()).map((s) => s.name)).toEqual(['after']);
    });

    it('calls in the transaction see its uncommitted rows; the pool and other stores do not until it commits', async () => {
      const schema = newSchema();
      const store = await open(schema);
      const other = await open(schema);
      const inside = deferred();
      const finish = deferred();
      let id = 0;
      const tx = store.transaction(async () => {
        id = (await store.stations.create(aStation({ name: 'pending' }))).id;
        expect((await store.stations.get(id))?.name).toBe('pending');
        // Calls started side by side inside the transaction all join it.
        const [count, listed] = await Promise.all([store.stations.count(), store.stations.list()]);
        expect(count).toBe(1);
        expect(listed).toHaveLength(1);
        inside.resolve();
        await finish.promise;
      });
      await inside.promise;
      expect(await store.stations.get(id)).toBeNull(); // this call is outside the transaction's async context
      expect(await other.stations.get(id)).toBeNull();
      finish.resolve();
      await tx;
      expect((await other.stations.get(id))?.name).toBe('pending');
    });

    it("charges a session once even when two transactions try at the same time: the unique index decides", async () => {
      const schema = newSchema();
      const store = await open(schema);
      const other = await open(schema);
      const user = await store.users.create(aUser());
      const { session } = await store.sessions.start(aNewSession({ customerId: user.id }));
      const charge = { customerId: user.id, amountMinor: -250, kind: 'charge' as const, sessionId: session.id, createdAt: '2024-05-01T12:00:00.000Z' };

      const inside = deferred();
      const finish = deferred();
      let pid = 0;
      const first = store.transaction(async () => {
        pid = await backendPid(store);
        const entry = await store.wallet.add(charge);
        inside.resolve();
        await finish.promise;
        return entry;
      });
      await inside.promise;
      const second = other.transaction(() => other.wallet.add(charge));
      // The second insert waits on the first's uncommitted index entry, then does nothing.
      await waitUntil(() => blocksSomeone(store, pid));
      finish.resolve();
      const [a, b] = await Promise.all([first, second]);
      expect(a).not.toBeNull();
      expect(b).toBeNull();
      expect(await store.wallet.balance(user.id)).toBe(-250);
      expect(await store.wallet.count(user.id)).toBe(1);
    });

    it('a StartTransaction retried on two nodes at once makes one session, found by its start key; an event is claimed once', async () => {
      const schema = newSchema();
      const a = await open(schema);
      const b = await open(schema);
      const input = aNewSession({ chargePointId: 'CP-9', idTag: 'TAG9' });
      const [x, y] = await Promise.all([a.transaction(() => a.sessions.start(input)), b.transaction(() => b.sessions.start(input))]);
      expect([x.created, y.created].sort()).toEqual([false, true]);
      expect(x.session.id).toBe(y.session.id);
      expect(await a.sessions.count({ chargePointId: 'CP-9' })).toBe(1);
      const claims = await Promise.all([a, b, a, b].map((s) => s.transaction(() => s.events.claim('ev-9', '2024-05-01T12:00:00.000Z'))));
      expect(claims.filter(Boolean)).toHaveLength(1);
    });

    it('lockCustomer holds a second transaction for the same customer until the first commits', async () => {
      const schema = newSchema();
      const store = await open(schema);
      const other = await open(schema);
      const user = await store.users.create(aUser());
      const stranger = await store.users.create(aUser());
      const order: string[] = [];
      const inside = deferred();
      const finish = deferred();
      let pid = 0;
      const first = store.transaction(async () => {
        pid = await backendPid(store);
        await store.lockCustomer(user.id);
        inside.resolve();
        await finish.promise;
        order.push('first commits');
      });
      await inside.promise;
      // Another customer is not held up.
      await other.transaction(() => other.lockCustomer(stranger.id));
      const second = other.transaction(async () => {
        await other.lockCustomer(user.id);
        order.push('second locked');
      });
      await waitUntil(() => blocksSomeone(store, pid));
      expect(order).toEqual([]);
      finish.resolve();
      await Promise.all([first, second]);
      expect(order).toEqual(['first commits', 'second locked']);
      await store.lockCustomer(user.id); // outside a transaction: nothing to hold, no error
    });
  });

  describe("a transaction's profile and its stop on two connections", () => {
    const close = { meterStop: 1000, energyWh: 0, costMinor: 0, stoppedAt: '2024-05-01T11:00:00.000Z', reason: null };
    const txProfile = (chargePointId: string, transactionId: number) => ({
      chargePointId, connectorId: 1, chargingProfileId: 1_000_000 + transactionId, stackLevel: 1, purpose: 'TxProfile' as const, transactionId,
      profile: {
        chargingProfileId: 1_000_000 + transactionId, transactionId, stackLevel: 1, chargingProfilePurpose: 'TxProfile' as const, chargingProfileKind: 'Relative' as const,
        chargingSchedule: { chargingRateUnit: 'W' as const, chargingSchedulePeriod: [{ startPeriod: 0, limit: 5500 }] },
      },
      requestedBy: 'csms: load management', installedAt: '2024-05-01T10:30:00.000Z',
    });

    async function started() {
      const schema = newSchema();
      const store = await open(schema);
      const other = await open(schema);
      const cp = await store.chargePoints.create(aChargePoint());
      const { session } = await store.sessions.start(aNewSession({ chargePointId: cp.id }));
      return { store, other, cp, session };
    }

    it('a stop that ended the session first (not yet committed): the install waits, then keeps nothing', async () => {
      const { store, other, cp, session } = await started();
      const inside = deferred();
      const finish = deferred();
      let pid = 0;
      const stop = store.transaction(async () => {
        pid = await backendPid(store);
        await store.sessions.complete(session.id, close);
        await store.chargingProfiles.removeForTransaction(cp.id, session.id);
        inside.resolve();
        await finish.promise;
      });
      await inside.promise;
      const install = other.chargingProfiles.install(txProfile(cp.id, session.id));
      await waitUntil(() => blocksSomeone(store, pid));
      finish.resolve();
      await stop;
      expect(await install).toBe(false);
      expect(await store.chargingProfiles.list(cp.id)).toEqual([]);
    });

    it('an install that checked the session first (not yet committed): the stop waits, then removes the profile', async () => {
      const { store, other, cp, session } = await started();
      const inside = deferred();
      const finish = deferred();
      let pid = 0;
      // The install's own steps, held open between the check and the commit.
      const install = other.transaction(async () => {
        pid = await backendPid(other);
        const kept = await other.chargingProfiles.install(txProfile(cp.id, session.id));
        inside.resolve();
        await finish.promise;
        return kept;
      });
      await inside.promise;
      const stop = store.transaction(async () => {
        await store.sessions.complete(session.id, close);
        return await store.chargingProfiles.removeForTransaction(cp.id, session.id);
      });
      await waitUntil(() => blocksSomeone(other, pid));
      finish.resolve();
      expect(await install).toBe(true);
      expect(await stop).toBe(1);
      expect(await store.chargingProfiles.list(cp.id)).toEqual([]);
    });
  });

  describe('changeCounter', () => {
    it('moves after a write by another store instance, not on reads or statements that touch no row', async () => {
      const schema = newSchema();
      const store = await open(schema);
      const other = await open(schema);
      const before = await store.changeCounter();
      await store.stations.list();
      await other.chargePoints.setAllOffline(); // no charge point: no row changes
      expect(await store.changeCounter()).toBe(before);
      await other.stations.create(aStation());
      const afterInsert = await store.changeCounter();
      expect(afterInsert).toBeGreaterThan(before);
      await other.events.claim('ev-1', '2024-05-01T12:00:00.000Z');
      expect(await store.changeCounter()).toBeGreaterThan(afterInsert);
    });

    it('moves when a change commits, not before: a counter read before the data is never newer than the data', async () => {
      const schema = newSchema();
      const store = await open(schema);
      const other = await open(schema);
      const inside = deferred();
      const finish = deferred();
      const before = await other.changeCounter();
      const tx = store.transaction(async () => {
        await store.stations.create(aStation());
        await store.transaction(async () => {
          await store.stations.create(aStation());
          throw new Error('undone');
        }).catch(() => undefined);
        await store.chargePoints.create(aChargePoint());
        inside.resolve();
        await finish.promise;
      });
      await inside.promise;
      expect(await other.changeCounter()).toBe(before);
      finish.resolve();
      await tx;
      expect(await other.changeCounter()).toBeGreaterThan(before);
      // A rolled-back transaction leaves it where it was.
      const committed = await other.changeCounter();
      await expect(store.transaction(async () => {
        await store.stations.create(aStation());
        throw new Error('rolled back');
      })).rejects.toThrow('rolled back');
      expect(await other.changeCounter()).toBe(committed);
    });
  });

  describe('repositories (smoke: the shared contract suite covers them in depth)', () => {
    it('users and cards compare emails and idTags in any case; BIGINT columns come back as numbers', async () => {
      const store = await open(newSchema());
      const user = await store.users.create(aUser({ email: 'Ada@Example.test', idTag: 'RFID-1' }));
      expect(typeof user.id).toBe('number');
      expect((await store.users.findByEmail('ada@example.TEST'))?.id).toBe(user.id);
      expect((await store.users.findByIdTag('rfid-1'))?.id).toBe(user.id);
      await expect(store.users.create(aUser({ email: 'ADA@example.test' }))).rejects.toMatchObject({ code: 'CSMS_ERR_EMAIL_TAKEN' });
      await expect(store.idTags.create({ idTag: 'Rfid-1', customerId: user.id })).rejects.toMatchObject({ code: 'CSMS_ERR_ID_TAG_TAKEN' });
      await store.idTags.create({ idTag: 'RFID-2', customerId: user.id });
      expect((await store.idTags.listForCustomer(user.id)).map((c) => c.idTag)).toEqual(['RFID-1', 'RFID-2']);
      expect(await store.users.update(user.id, { idTag: 'rfid-2', idTagExpiresAt: '2030-01-01T00:00:00.000Z' })).toMatchObject({ idTag: 'RFID-2', idTagExpiresAt: '2030-01-01T00:00:00.000Z' });
      expect(await store.idTags.delete('rfid-2')).toBe(true);
      expect((await store.users.get(user.id))?.idTag).toBe('RFID-1');
      expect(await store.users.list({ q: 'ada@' })).toHaveLength(1);
      expect(await store.users.count({ role: 'customer' })).toBe(1);
      expect(await store.wallet.add({ customerId: user.id, amountMinor: 1000, kind: 'topup', externalId: 'pay:1', createdAt: 'x' })).toMatchObject({ amountMinor: 1000 });
      expect(await store.wallet.add({ customerId: user.id, amountMinor: 1000, kind: 'topup', externalId: 'pay:1', createdAt: 'x' })).toBeNull();
      await expect(store.wallet.add({ customerId: user.id, amountMinor: 1.5, kind: 'topup', createdAt: 'x' })).rejects.toMatchObject({ code: 'CSMS_ERR_BAD_AMOUNT' });
      expect(await store.wallet.balance(user.id)).toBe(1000);
      expect(await store.users.delete(user.id)).toBe(true);
    });

    it('charge points, tariffs, sessions, meter samples, holds and the dashboard', async () => {
      const store = await open(newSchema());
      const station = await store.stations.create(aStation());
      const tariff = await store.tariffs.create(aTariffInput({ pricePerKwh: 35 }));
      const cp = await store.chargePoints.create(aChargePoint({ id: 'CP-1', stationId: station.id, tariffId: tariff.id, connectors: 2 }));
      await expect(store.chargePoints.create(aChargePoint({ id: 'CP-1' }))).rejects.toMatchObject({ code: 'CSMS_ERR_CONFLICT' });
      await expect(store.chargePoints.create(aChargePoint({ stationId: 999 }))).rejects.toMatchObject({ code: 'CSMS_ERR_NOT_FOUND' });
      await expect(store.chargePoints.upsertConnector({ chargePointId: 'nope', connectorId: 1, status: 'Available', errorCode: 'NoError', info: null }, 't'))
        .rejects.toMatchObject({ code: 'CSMS_ERR_CHARGER_NOT_FOUND' });
      await store.chargePoints.upsertConnector({ chargePointId: cp.id, connectorId: 1, status: 'Charging', errorCode: 'NoError', info: null }, '2024-05-01T12:00:00.000Z');
      await store.chargePoints.setOnline(cp.id, true, '2024-05-01T12:00:00.000Z');
      expect(await store.chargePoints.count({ stationId: station.id })).toEqual({ total: 1, online: 1 });
      expect(await store.chargePoints.stationOnline(station.id)).toBe(true);
      expect((await store.tariffs.forChargePoint(cp.id))?.pricePerKwh).toBe(35);
      expect((await store.chargePoints.connectors(cp.id)).map((c) => c.status)).toEqual(['Charging', 'Unknown']);

      const user = await store.users.create(aUser({ idTag: 'TAG1' }));
      const input = aNewSession({ customerId: user.id, tariff: tariff });
      const started = await store.sessions.start(input);
      expect(started.created).toBe(true);
      const retried = await store.sessions.start(input);
      expect(retried).toEqual({ session: started.session, created: false });
      expect(await store.sessions.activeElsewhere(user.id, 'tag1', 'CP-2', 1)).toEqual({ customer: 1, idTag: 1 });
      await store.sessions.updateProgress(started.session.id, { meterLast: 3000, energyWh: 2000, powerW: 7400.5, costMinor: 70, lastMeterAt: '2024-05-01T10:05:00.000Z' });
      await store.sessions.addMeterSamples(started.session.id, cp.id, 1, [aMeterSample({ value: 2500.5, phase: 'L1' }), aMeterSample({ timestamp: '2024-05-01T10:00:30.000Z' })]);
      expect((await store.sessions.meterSamples(started.session.id)).map((s) => [s.timestamp, s.value, s.phase])).toEqual([
        ['2024-05-01T10:00:30.000Z', 1500, null],
        ['2024-05-01T10:01:00.000Z', 2500.5, 'L1'],
      ]);
      await store.holds.place({ sessionId: started.session.id, customerId: user.id, amountMinor: 50, createdAt: 'x' });
      expect(await store.holds.reserved(user.id)).toBe(70);
      expect(await store.holds.requestStop(started.session.id, '2024-05-01T10:06:00.000Z', '2024-05-01T10:05:00.000Z')).toBe(true);
      expect(await store.holds.release(started.session.id, 'y')).toBe(true);
      expect(await store.holds.release(started.session.id, 'y')).toBe(false);
      expect(await store.sessions.count({ status: 'active', customerId: user.id, from: '2024-05-01T00:00:00.000Z' })).toBe(1);
      await store.sessions.flag(started.session.id, 'a');
      await store.sessions.flag(started.session.id, 'b');
      expect(await store.sessions.complete(started.session.id, { meterStop: 3100, energyWh: 2100, costMinor: 74, stoppedAt: '2024-05-01T11:00:00.000Z', reason: 'Local' })).toBe(true);
      expect(await store.sessions.complete(started.session.id, { meterStop: 3100, energyWh: 2100, costMinor: 74, stoppedAt: '2024-05-01T11:00:00.000Z', reason: 'Local' })).toBe(false);
      expect(await store.sessions.get(started.session.id)).toMatchObject({ status: 'completed', review: 'a; b', closedBy: 'charger', energyWh: 2100, powerW: 0 });
      await store.wallet.add({ customerId: user.id, amountMinor: -74, kind: 'charge', sessionId: started.session.id, createdAt: '2024-05-01T11:00:00.000Z' });
      const stats = await store.dashboardStats('2024-05-01T18:00:00.000Z');
      expect(stats).toMatchObject({ stations: 1, stationsOnline: 1, chargePoints: 1, chargePointsOnline: 1, activeSessions: 0, energyWhToday: 2100, revenueMinorToday: 74, revenueMinorTotal: 74, customers: 1 });
      expect(stats.connectorsByStatus).toEqual({ Charging: 1, Unknown: 1 });
      await expect(store.tariffs.delete(tariff.id)).rejects.toMatchObject({ code: 'CSMS_ERR_IN_USE' });
    });

    it('message log, commands, processed events, outbox, nodes and the journal', async () => {
      const store = await open(newSchema());
      await store.messages.insertMany(Array.from({ length: 6 }, (_, i) => aLogEntry({ messageId: `m${i}`, payload: { i } })));
      expect((await store.messages.list('CP-1', { limit: 2 })).map((e) => [e.messageId, e.payload])).toEqual([['m5', { i: 5 }], ['m4', { i: 4 }]]);
      expect(await store.messages.prune(2)).toBe(4);
      expect((await store.messages.list('CP-1')).map((e) => e.messageId)).toEqual(['m5', 'm4']);

      await store.commands.create({ id: 'c1', chargePointId: 'CP-1', action: 'Reset', request: { type: 'Soft' }, requestedBy: null, createdAt: 't1' });
      await expect(store.commands.create({ id: 'c1', chargePointId: 'CP-1', action: 'Reset', request: {}, requestedBy: null, createdAt: 't1' })).rejects.toMatchObject({ code: 'CSMS_ERR_CONFLICT' });
      await store.commands.finish('c1', 'timeout', null, 't2');
      await store.commands.finish('c1', 'answered', { status: 'Accepted' }, 't3');
      await store.commands.finish('c1', 'timeout', null, 't4');
      expect(await store.commands.get('c1')).toMatchObject({ status: 'answered', response: { status: 'Accepted' }, answeredAt: 't3' });
      expect(await store.commands.list('CP-1')).toHaveLength(1);

      expect(await store.events.claim('e1', '2024-01-01')).toBe(true);
      expect(await store.events.claim('e1', '2024-01-01')).toBe(false);
      expect(await store.events.prune('2024-06-01')).toBe(1);

      await store.nodes.alive('old', 't', 1000);
      await store.nodes.alive('me', 't', 5000);
      await store.outbox.add('old', [{ exchange: 'x', routingKey: 'a', body: '1' }, { exchange: 'x', routingKey: 'b', body: '2' }], 't');
      await store.outbox.add('ghost', [{ exchange: 'x', routingKey: 'c', body: '3' }], 't');
      expect(await store.outbox.adoptOrphans('me', 2000)).toBe(2);
      expect(await store.outbox.adoptOrphans('me', 2000, true)).toBe(1);
      const taken = await store.outbox.take('me', 10);
      expect(taken.map((i) => i.body)).toEqual(['1', '2', '3']);
      await store.outbox.remove(taken.map((i) => i.id));
      expect(await store.outbox.count()).toBe(0);
      await store.nodes.leave('me');

      const seqs = await store.journal.write({ append: ['a', 'b', 'c'], done: [], dead: [] }, 't');
      expect(seqs).toHaveLength(3);
      expect(await store.journal.write({ append: ['d'], done: [seqs[0]], dead: [{ seq: seqs[1], error: 'bad', attempts: 3 }] }, 't')).toHaveLength(1);
      expect((await store.journal.pending()).map((e) => e.body)).toEqual(['c', 'd']);
      expect(await store.journal.dead()).toMatchObject([{ body: 'b', deadError: 'bad', attempts: 3 }]);
      expect((await store.journal.revive()).map((e) => e.body)).toEqual(['b']);
      expect((await store.journal.pending()).map((e) => e.body)).toEqual(['b', 'c', 'd']);
    });
  });
});
