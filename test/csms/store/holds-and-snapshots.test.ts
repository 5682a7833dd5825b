import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/csms/domain/ports.ts';
import { MIGRATIONS, migrate } from '../../../src/csms/store/index.ts';
import { aChargePoint, aNewSession, aTariffInput, aUser } from '../builders.ts';
import { eachStore, openStore } from '../../helpers/stores.ts';

const at = '2024-05-01T12:00:00.000Z';

describe.each(eachStore)('[%s] wallet holds', (_name, adapter) => {
  let store: Store;
  let customerId: number;
  beforeEach(async (ctx) => {
    ({ store } = await openStore(adapter, ctx));
    customerId = (await store.users.create(aUser())).id;
    await store.chargePoints.create(aChargePoint({ id: 'CP-1' }));
  });

  const session = async (connectorId: number) => (await store.sessions.start(aNewSession({ customerId, connectorId, startedAt: `2024-05-01T10:0${connectorId}:00.000Z` }))).session;

  it("reserves the larger of each open hold and its session's cost, except the session asked about", async () => {
    const a = await session(1);
    const b = await session(2);
    await store.holds.place({ sessionId: a.id, customerId, amountMinor: 500, createdAt: at });
    await store.holds.place({ sessionId: b.id, customerId, amountMinor: 300, createdAt: at });
    // Placing again changes nothing: a retried StartTransaction keeps its first hold.
    await store.holds.place({ sessionId: a.id, customerId, amountMinor: 9999, createdAt: at });
    expect(await store.holds.reserved(customerId)).toBe(800);
    expect(await store.holds.reserved(customerId, a.id)).toBe(300);
    await store.sessions.updateProgress(b.id, { meterLast: 2000, energyWh: 1000, powerW: 0, costMinor: 420, lastMeterAt: at });
    expect(await store.holds.reserved(customerId, a.id)).toBe(420);
  });

  it('tells what is spendable in one read: the balance less the reservations, one session left out', async () => {
    expect(await store.wallet.spendable(customerId)).toBe(0);
    await store.wallet.add({ customerId, amountMinor: 2000, kind: 'topup', createdAt: at });
    expect(await store.wallet.spendable(customerId)).toBe(2000);
    const a = await session(1);
    const b = await session(2);
    await store.holds.place({ sessionId: a.id, customerId, amountMinor: 500, createdAt: at });
    await store.holds.place({ sessionId: b.id, customerId, amountMinor: 300, createdAt: at });
    expect(await store.wallet.spendable(customerId)).toBe(1200);
    expect(await store.wallet.spendable(customerId, a.id)).toBe(1700);
    // A session's cost past its hold counts instead of the hold.
    await store.sessions.updateProgress(b.id, { meterLast: 2000, energyWh: 1000, powerW: 0, costMinor: 420, lastMeterAt: at });
    expect(await store.wallet.spendable(customerId, a.id)).toBe(1580);
    await store.holds.release(b.id, at);
    await store.wallet.add({ customerId, amountMinor: -2500, kind: 'adjustment', createdAt: at });
    // Below zero is reported as it is: the caller decides what that means.
    expect(await store.wallet.spendable(customerId)).toBe(-1000);
    expect(await store.wallet.spendable(customerId)).toBe(await store.wallet.balance(customerId) - await store.holds.reserved(customerId));
  });

  it('releases a hold exactly once and no longer counts it', async () => {
    const a = await session(1);
    await store.holds.place({ sessionId: a.id, customerId, amountMinor: 500, createdAt: at });
    expect(await store.holds.release(a.id, at)).toBe(true);
    expect(await store.holds.release(a.id, '2024-05-01T12:05:00.000Z')).toBe(false);
    expect(await store.holds.get(a.id)).toMatchObject({ amountMinor: 500, releasedAt: at });
    expect(await store.holds.reserved(customerId)).toBe(0);
  });

  it('lets a stop be requested once per retry interval, and not after the release', async () => {
    const a = await session(1);
    await store.holds.place({ sessionId: a.id, customerId, amountMinor: 500, createdAt: at });
    expect(await store.holds.requestStop(a.id, '2024-05-01T12:00:10.000Z', '2024-05-01T11:59:10.000Z')).toBe(true);
    expect(await store.holds.requestStop(a.id, '2024-05-01T12:00:20.000Z', '2024-05-01T11:59:20.000Z')).toBe(false);
    expect(await store.holds.requestStop(a.id, '2024-05-01T12:01:20.000Z', '2024-05-01T12:00:20.000Z')).toBe(true);
    await store.holds.release(a.id, at);
    expect(await store.holds.requestStop(a.id, '2024-05-01T12:09:00.000Z', '2024-05-01T12:08:00.000Z')).toBe(false);
  });
});

describe.each(eachStore)('[%s] tariff snapshots', (_name, adapter) => {
  it('keep the prices a session started with when its tariff changes later', async (ctx) => {
    const { store } = await openStore(adapter, ctx);
    const t = await store.tariffs.create(aTariffInput({ name: 'Day', pricePerKwh: 30, sessionFee: 50 }));
    await store.chargePoints.create(aChargePoint({ id: 'CP-1', tariffId: t.id }));
    const { session } = await store.sessions.start(aNewSession({ tariff: t }));
    await store.tariffs.update(t.id, { name: 'Night', pricePerKwh: 99, sessionFee: 0 });
    expect((await store.sessions.get(session.id))!.tariff).toEqual({ id: t.id, name: 'Day', currency: 'EUR', pricePerKwh: 30, pricePerMinute: 0, sessionFee: 50 });
  });
});

// SQLite only: these replay the SQLite schema's own migration history on a raw better-sqlite3 database.
describe('[sqlite] tariff snapshot migration', () => {
  it("copies each earlier session's tariff and keeps what a point without a tariff was billed", async () => {
    const db = new Database(':memory:');
    // The schema before tariff snapshots: a point without a tariff was billed with the lowest-id one.
    const before = MIGRATIONS.findIndex((m) => m.sqlite.includes('tariff_name TEXT'));
    expect(before).toBeGreaterThan(0);
    migrate(db, MIGRATIONS.slice(0, before));
    db.prepare(`INSERT INTO tariffs (id, name, currency, price_per_kwh, price_per_minute, session_fee, created_at, updated_at) VALUES (7, 'Standard', 'EUR', 35, 2, 50, ?, ?)`).run(at, at);
    db.prepare(`INSERT INTO tariffs (id, name, currency, price_per_kwh, created_at, updated_at) VALUES (9, 'Rapid', 'EUR', 59, ?, ?)`).run(at, at);
    db.prepare(`INSERT INTO charge_points (id, tariff_id, created_at, updated_at) VALUES ('CP-FREE?', NULL, ?, ?), ('CP-R', 9, ?, ?)`).run(at, at, at, at);
    db.prepare(`INSERT INTO sessions (charge_point_id, connector_id, id_tag, tariff_id, status, meter_start, meter_last, currency, started_at, start_timestamp, start_meter, created_at)
      VALUES ('CP-R', 1, 'T', 9, 'completed', 0, 0, 'EUR', ?, ?, 0, ?), ('CP-FREE?', 1, 'T', 7, 'completed', 0, 0, 'EUR', ?, ?, 0, ?)`).run(at, at, at, '2024-05-01T13:00:00.000Z', '2024-05-01T13:00:00.000Z', at);
    migrate(db);
    const sessions = db.prepare('SELECT tariff_id, tariff_name, price_per_kwh, price_per_minute, session_fee FROM sessions ORDER BY id').all();
    expect(sessions).toEqual([
      { tariff_id: 9, tariff_name: 'Rapid', price_per_kwh: 59, price_per_minute: 0, session_fee: 0 },
      { tariff_id: 7, tariff_name: 'Standard', price_per_kwh: 35, price_per_minute: 2, session_fee: 50 },
    ]);
    expect(db.prepare("SELECT tariff_id FROM charge_points WHERE id = 'CP-FREE?'").get()).toEqual({ tariff_id: 7 });
    db.close();
  });

  it('gives sessions running during the upgrade a hold of 0, so they too stop at the balance', async () => {
    const db = new Database(':memory:');
    const before = MIGRATIONS.findIndex((m) => m.sqlite.includes('INSERT INTO wallet_holds'));
    expect(before).toBeGreaterThan(0);
    migrate(db, MIGRATIONS.slice(0, before));
    db.prepare(`INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES (5, 'c@x.test', 'C', 'customer', 'h', ?)`).run(at);
    const insert = db.prepare(`INSERT INTO sessions (charge_point_id, connector_id, customer_id, id_tag, status, meter_start, meter_last, currency, started_at, start_timestamp, start_meter, created_at, tariff_name, price_per_kwh)
      VALUES ('CP', ?, ?, 'T', ?, 0, 0, 'EUR', ?, ?, 0, ?, ?, 30)`);
    insert.run(1, 5, 'active', at, at, at, 'Day');
    insert.run(2, 5, 'completed', at, `${at}x`, at, 'Day');
    insert.run(3, null, 'active', at, `${at}y`, at, 'Day');
    insert.run(4, 5, 'active', at, `${at}z`, at, null);
    migrate(db);
    expect(db.prepare('SELECT session_id, customer_id, amount_minor, released_at FROM wallet_holds').all()).toEqual([{ session_id: 1, customer_id: 5, amount_minor: 0, released_at: null }]);
    db.close();
  });
});
