/**
 * Two nodes close one session at once (PostgreSQL, READ COMMITTED): the CSMS closes it (a reboot, an
 * admin) in a transaction that commits after the charger's StopTransaction has read the session as
 * active. The charger's stop must still count: its reading reconciles the close, as if it came after.
 * The competing close is a transaction the test holds open on a connection of its own, so the order
 * of the two is certain.
 */
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { createCharging } from '../../../src/csms/domain/charging.ts';
import { openPostgresStore, type PostgresStore } from '../../../src/csms/store/index.ts';
import { aStartTransaction, aStopTransaction } from '../../../src/ocpp/index.ts';
import { createTestSchema, POSTGRES_URL, postgresMissing, type TestSchema } from '../../helpers/postgres.ts';
import { waitFor } from '../../helpers/csms.ts';

const noPostgres = await postgresMissing();

let store: PostgresStore | null = null;
let schema: TestSchema | null = null;
let other: pg.Client | null = null;
afterEach(async () => {
  await other?.query('ROLLBACK').catch(() => {});
  await other?.end();
  await store?.close();
  await schema?.drop();
  store = null;
  schema = null;
  other = null;
});

it.skipIf(noPostgres)('a StopTransaction that loses the race to a close still reconciles it with the charger\'s reading', async () => {
  schema = await createTestSchema('test_stop_race');
  store = await openPostgresStore(POSTGRES_URL, { schema: schema.name });
  const clock = { now: () => new Date() };
  const charging = createCharging({ store, clock, currency: 'EUR', minStartBalance: 0 });
  const tariff = await store.tariffs.create({ name: 'T', currency: 'EUR', pricePerKwh: 30 });
  await store.chargePoints.create({ id: 'CP-RACE', tariffId: tariff.id, connectors: 1, registrationStatus: 'Accepted' });
  const user = await store.users.create({ email: 'race@test.local', name: 'Race', passwordHash: 'x', role: 'customer', idTag: 'RACE' });
  await store.wallet.add({ customerId: user.id, amountMinor: 10_000, kind: 'topup', createdAt: clock.now().toISOString() });
  const started = await charging.startTransaction('CP-RACE', aStartTransaction({ idTag: 'RACE', meterStart: 1000 }));
  expect(started.idTagInfo.status).toBe('Accepted');
  const id = started.transactionId;

  // The other node's close, as closeFromLastReading writes it: under way, not committed.
  other = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path=${schema.name}` });
  await other.connect();
  await other.query('BEGIN');
  await other.query(`UPDATE sessions SET status = 'completed', meter_stop = meter_last, energy_wh = 0, cost_minor = 0, stopped_at = started_at, closed_by = 'csms', close_note = 'rebooted' WHERE id = $1`, [id]);
  const otherPid = (await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;

  const stop = charging.stopTransaction('CP-RACE', aStopTransaction({ transactionId: id, meterStop: 6000, reason: 'Local' }));
  // The stop read the session as active and now waits for the other close's row lock.
  await waitFor(async () => (await store!.db.first<{ blocked: boolean }>('SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE $1::int = ANY (pg_blocking_pids(pid))) AS blocked', [otherPid]))?.blocked);
  await other.query('COMMIT');
  await stop;

  const session = (await store.sessions.get(id))!;
  expect(session).toMatchObject({ status: 'completed', closedBy: 'csms', meterStop: 6000, energyWh: 5000, stopReason: 'Local', costMinor: 150 });
  // Billed once, for the charger's 5 kWh: the close's charge was 0, the reconciliation adds the rest.
  expect(await store.wallet.balance(user.id)).toBe(10_000 - 150);
});
