import BetterSqlite3 from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/csms/domain/ports.ts';
import { createSqliteStore, MIGRATIONS, migrate } from '../../../src/csms/store/index.ts';
import { aChargePoint, aNewSession, aUser } from '../builders.ts';
import { eachStore, openStore } from '../../helpers/stores.ts';
import { tempDbPath } from './fixtures.ts';

describe.each(eachStore)('[%s] wallet', (_name, adapter) => {
  let store: Store;
  let customerId: number;
  let sessionId: number;
  beforeEach(async (ctx) => {
    ({ store } = await openStore(adapter, ctx));
    customerId = (await store.users.create(aUser())).id;
    await store.chargePoints.create(aChargePoint({ id: 'CP-1' }));
    sessionId = (await store.sessions.start(aNewSession({ customerId }))).session.id;
  });

  const at = '2024-05-01T12:00:00.000Z';

  it('keeps the balance as the sum of integer entries', async () => {
    expect(await store.wallet.balance(customerId)).toBe(0);
    await store.wallet.add({ customerId, amountMinor: 1000, kind: 'topup', createdAt: at });
    await store.wallet.add({ customerId, amountMinor: -25, kind: 'adjustment', note: 'goodwill reversed', createdAt: at });
    const charge = await store.wallet.add({ customerId, amountMinor: -333, kind: 'charge', sessionId, createdAt: at });
    expect(charge).toEqual({ id: expect.any(Number), customerId, amountMinor: -333, kind: 'charge', sessionId, note: null, externalId: null, actor: null, createdAt: at });
    expect(await store.wallet.balance(customerId)).toBe(642);
  });

  it('debits a session exactly once', async () => {
    await store.wallet.add({ customerId, amountMinor: 1000, kind: 'topup', createdAt: at });
    expect(await store.wallet.add({ customerId, amountMinor: -300, kind: 'charge', sessionId, createdAt: at })).not.toBeNull();
    expect(await store.wallet.add({ customerId, amountMinor: -300, kind: 'charge', sessionId, createdAt: at })).toBeNull();
    expect(await store.wallet.balance(customerId)).toBe(700);
    // Other kinds may refer to the same session (e.g. a refund adjustment).
    expect(await store.wallet.add({ customerId, amountMinor: 300, kind: 'adjustment', sessionId, createdAt: at })).not.toBeNull();
    expect(await store.wallet.balance(customerId)).toBe(1000);
  });

  it('rejects fractional amounts and wrong signs', async () => {
    const bad = expect.objectContaining({ code: 'CSMS_ERR_BAD_AMOUNT' });
    await expect(store.wallet.add({ customerId, amountMinor: 10.5, kind: 'topup', createdAt: at })).rejects.toThrow(bad);
    await expect(store.wallet.add({ customerId, amountMinor: -10, kind: 'topup', createdAt: at })).rejects.toThrow(bad);
    await expect(store.wallet.add({ customerId, amountMinor: 10, kind: 'charge', sessionId, createdAt: at })).rejects.toThrow(bad);
    await expect(store.wallet.add({ customerId: 999, amountMinor: 10, kind: 'topup', createdAt: at })).rejects.toThrow(
      expect.objectContaining({ code: 'CSMS_ERR_NOT_FOUND' }),
    );
    expect(await store.wallet.balance(customerId)).toBe(0);
  });

  it('lists newest first with paging', async () => {
    for (const amountMinor of [100, 200, 300]) await store.wallet.add({ customerId, amountMinor, kind: 'topup', createdAt: at });
    expect((await store.wallet.list(customerId)).map((e) => e.amountMinor)).toEqual([300, 200, 100]);
    expect((await store.wallet.list(customerId, { limit: 1, offset: 1 })).map((e) => e.amountMinor)).toEqual([200]);
    expect(await store.wallet.list(customerId + 1)).toEqual([]);
  });

  it('credits an external payment once: the unique index answers a repeat with null', async () => {
    const paid = { customerId, amountMinor: 1500, kind: 'topup' as const, externalId: 'signed-webhook:pay_1', createdAt: at };
    expect(await store.wallet.add(paid)).toMatchObject({ externalId: 'signed-webhook:pay_1', amountMinor: 1500 });
    expect(await store.wallet.add(paid)).toBeNull();
    expect(await store.wallet.add({ ...paid, amountMinor: 99 })).toBeNull();
    expect(await store.wallet.add({ ...paid, externalId: 'signed-webhook:pay_2' })).not.toBeNull();
    // Entries without a reference are never conflicts of each other.
    await store.wallet.add({ customerId, amountMinor: 10, kind: 'topup', createdAt: at });
    await store.wallet.add({ customerId, amountMinor: 10, kind: 'topup', createdAt: at });
    expect(await store.wallet.balance(customerId)).toBe(3020);
    expect(await store.wallet.count(customerId)).toBe(4);
  });

  it('keeps the signs of the admin kinds: credit adds, debit and refund remove, with the actor', async () => {
    const bad = expect.objectContaining({ code: 'CSMS_ERR_BAD_AMOUNT' });
    await expect(store.wallet.add({ customerId, amountMinor: -1, kind: 'credit', createdAt: at })).rejects.toThrow(bad);
    await expect(store.wallet.add({ customerId, amountMinor: 1, kind: 'refund', createdAt: at })).rejects.toThrow(bad);
    await expect(store.wallet.add({ customerId, amountMinor: 0, kind: 'debit', createdAt: at })).rejects.toThrow(bad);
    await store.wallet.add({ customerId, amountMinor: 500, kind: 'credit', note: 'goodwill', actor: 'admin@x.test', createdAt: at });
    const refund = await store.wallet.add({ customerId, amountMinor: -200, kind: 'refund', note: 'paid back', actor: 'admin@x.test', createdAt: at });
    expect(refund).toMatchObject({ kind: 'refund', amountMinor: -200, note: 'paid back', actor: 'admin@x.test', externalId: null });
    expect(await store.wallet.balance(customerId)).toBe(300);
  });
});

// SQLite only: it replays the SQLite schema's migration history on a raw file.
describe('[sqlite] the wallet migration', () => {
  it('keeps the entries of a database written before it, and their charge-once guarantee', async () => {
    const db = tempDbPath();
    try {
      const step = MIGRATIONS.findIndex((m) => m.sqlite.includes('external_id'));
      expect(step).toBeGreaterThan(0);
      mkdirSync(dirname(db.path), { recursive: true });
      const raw = new BetterSqlite3(db.path);
      migrate(raw, MIGRATIONS.slice(0, step));
      raw.exec(`INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES (7, 'old@x.test', 'Old', 'customer', 'h', '2024-01-01')`);
      raw.exec(`INSERT INTO sessions (id, charge_point_id, connector_id, customer_id, id_tag, status, meter_start, meter_last, currency, started_at, start_timestamp, start_meter, created_at)
        VALUES (3, 'CP', 1, 7, 'T', 'completed', 0, 10, 'EUR', '2024-01-01', '2024-01-01', 0, '2024-01-01')`);
      raw.exec(`INSERT INTO wallet_entries (id, customer_id, amount_minor, kind, session_id, note, created_at) VALUES
        (1, 7, 1000, 'topup', NULL, 'Top-up', '2024-01-01'), (2, 7, -250, 'charge', 3, 'Session 3', '2024-01-02')`);
      raw.close();

      const store = createSqliteStore(db.path);
      try {
        expect((await store.wallet.list(7)).map((e) => [e.id, e.kind, e.amountMinor, e.sessionId, e.externalId, e.actor])).toEqual([[2, 'charge', -250, 3, null, null], [1, 'topup', 1000, null, null, null]]);
        expect(await store.wallet.add({ customerId: 7, amountMinor: -250, kind: 'charge', sessionId: 3, createdAt: '2024-01-03' })).toBeNull();
        expect(await store.wallet.balance(7)).toBe(750);
      } finally {
        await store.close();
      }
    } finally {
      db.cleanup();
    }
  });
});
