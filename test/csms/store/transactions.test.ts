/**
 * What the Store port promises about transactions, concurrency, changeCounter and the store's life
 * cycle: the guarantees two adapters implement in very different ways (one SQLite connection behind
 * an async gate; a PostgreSQL pool with MVCC and row locks).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/csms/domain/ports.ts';
import { aChargePoint, aNewSession, aStation, aUser } from '../builders.ts';
import { eachStore, openStore, type OpenedStore } from '../../helpers/stores.ts';

const at = '2024-05-01T12:00:00.000Z';

/** A promise and the function that resolves it: lets a test hold a transaction open at a chosen point. */
function latch(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const names = async (store: Store) => (await store.stations.list()).map((s) => s.name).sort();

describe.each(eachStore)('[%s] transactions', (_name, adapter) => {
  let store: Store;
  beforeEach(async (ctx) => ({ store } = await openStore(adapter, ctx)));

  it('commits what fn wrote and resolves with what fn returned; calls inside see their own rows', async () => {
    const result = await store.transaction(async () => {
      await store.stations.create(aStation({ name: 'a' }));
      expect(await names(store)).toEqual(['a']);
      return 42;
    });
    expect(result).toBe(42);
    expect(await names(store)).toEqual(['a']);
  });

  it('rolls the whole transaction back on a throw, released savepoints too, and rejects with that error', async () => {
    const boom = new Error('boom');
    await expect(
      store.transaction(async () => {
        await store.stations.create(aStation({ name: 'outer' }));
        await store.transaction(async () => {
          await store.stations.create(aStation({ name: 'inner' }));
        });
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await names(store)).toEqual([]);
    // The store is usable afterwards.
    await store.stations.create(aStation({ name: 'later' }));
    expect(await names(store)).toEqual(['later']);
  });

  it('a nested transaction that fails rolls back alone: its savepoint, not what came before or after', async () => {
    const result = await store.transaction(async () => {
      await store.stations.create(aStation({ name: 'before' }));
      await expect(
        store.transaction(async () => {
          await store.stations.create(aStation({ name: 'undone' }));
          throw new Error('inner');
        }),
      ).rejects.toThrow('inner');
      await store.transaction(async () => {
        await store.stations.create(aStation({ name: 'kept' }));
        // Two levels deep: the innermost failure leaves its parent savepoint's row alone.
        await expect(
          store.transaction(async () => {
            await store.stations.create(aStation({ name: 'undone too' }));
            throw new Error('innermost');
          }),
        ).rejects.toThrow('innermost');
      });
      await store.stations.create(aStation({ name: 'after' }));
      return 'done';
    });
    expect(result).toBe('done');
    expect(await names(store)).toEqual(['after', 'before', 'kept']);
  });

  it('a nested transaction that fails on a constraint rolls back alone and leaves the outer one usable', async () => {
    const taken = await store.users.create(aUser({ email: 'taken@example.test' }));
    await store.transaction(async () => {
      await store.stations.create(aStation({ name: 'before' }));
      // PostgreSQL aborts a transaction on an error unless the savepoint catches it.
      await expect(store.transaction(() => store.users.create(aUser({ email: taken.email })))).rejects.toThrow(
        expect.objectContaining({ code: 'CSMS_ERR_EMAIL_TAKEN' }),
      );
      await store.stations.create(aStation({ name: 'after' }));
    });
    expect(await names(store)).toEqual(['after', 'before']);
    expect(await store.users.count({})).toBe(1);
  });

  it('calls from outside a running transaction never see half of it (SQLite: they wait until it commits)', async () => {
    const firstWritten = latch();
    const release = latch();
    const tx = store.transaction(async () => {
      await store.stations.create(aStation({ name: 'first' }));
      firstWritten.open();
      // Held open on purpose (the port asks fn to wait only for the store) so an outside call lands in the middle.
      await release.promise;
      await store.stations.create(aStation({ name: 'second' }));
    });
    await firstWritten.promise;
    let seen: string[] | undefined;
    const outside = names(store).then((list) => (seen = list));
    if (adapter.name === 'sqlite') {
      // One connection: an outside call would join the open transaction, so the gate holds it back.
      await nextTurn();
      expect(seen).toBeUndefined();
    }
    release.open();
    await tx;
    await outside;
    expect([[], ['first', 'second']]).toContainEqual(seen);
    expect(await names(store)).toEqual(['first', 'second']);
  });

  it('a write from outside a running transaction does not join it: it stays when the transaction rolls back', async () => {
    const firstWritten = latch();
    const release = latch();
    const tx = store.transaction(async () => {
      await store.stations.create(aStation({ name: 'rolled back' }));
      firstWritten.open();
      await release.promise;
      throw new Error('abort');
    });
    await firstWritten.promise;
    const outside = store.stations.create(aStation({ name: 'outside' }));
    release.open();
    await expect(tx).rejects.toThrow('abort');
    await outside;
    expect(await names(store)).toEqual(['outside']);
  });
});

describe.each(eachStore)('[%s] concurrent transactions', (_name, adapter) => {
  let store: Store;
  let customerId: number;
  let sessionId: number;
  beforeEach(async (ctx) => {
    ({ store } = await openStore(adapter, ctx));
    customerId = (await store.users.create(aUser())).id;
    await store.chargePoints.create(aChargePoint({ id: 'CP-1' }));
    sessionId = (await store.sessions.start(aNewSession({ customerId }))).session.id;
    await store.wallet.add({ customerId, amountMinor: 1000, kind: 'topup', createdAt: at });
  });

  // Known defect of the SQLite adapter, kept visible here: its async gate (store/sqlite/sync.ts) lets two
  // transactions that start together both through `await turn()`, and the second one's BEGIN IMMEDIATE fails
  // with "cannot start a transaction within a transaction". These tests are expected to fail on SQLite until
  // the gate takes its turn and marks itself active without an await in between; then `.fails` must go.
  const itConcurrent = it;

  itConcurrent('two transactions started together both commit', async () => {
    const results = await Promise.all([
      store.transaction(async () => {
        await store.stations.create(aStation({ name: 'one' }));
        return 1;
      }),
      store.transaction(async () => {
        await store.stations.create(aStation({ name: 'two' }));
        return 2;
      }),
    ]);
    expect(results).toEqual([1, 2]);
    expect(await names(store)).toEqual(['one', 'two']);
  });

  itConcurrent('charges a session exactly once when two transactions try at the same time', async () => {
    const charge = () =>
      store.transaction(async () => {
        await store.lockCustomer(customerId);
        return store.wallet.add({ customerId, amountMinor: -300, kind: 'charge', sessionId, createdAt: at });
      });
    const results = await Promise.all([charge(), charge()]);
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(await store.wallet.balance(customerId)).toBe(700);
    expect(await store.wallet.count(customerId)).toBe(2);
  });

  itConcurrent('credits an externalId exactly once when two transactions try at the same time', async () => {
    const credit = () =>
      store.transaction(() => store.wallet.add({ customerId, amountMinor: 500, kind: 'topup', externalId: 'psp:pay_1', createdAt: at }));
    const results = await Promise.all([credit(), credit()]);
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(await store.wallet.balance(customerId)).toBe(1500);
  });

  itConcurrent('lockCustomer: no other transaction decides about the same money until the first ends', async () => {
    const spend = (amountMinor: number) =>
      store.transaction(async () => {
        await store.lockCustomer(customerId);
        const balance = await store.wallet.balance(customerId);
        if (balance < amountMinor) return false;
        await store.wallet.add({ customerId, amountMinor: -amountMinor, kind: 'debit', actor: 'admin@example.test', createdAt: at });
        return true;
      });
    const results = await Promise.all([spend(600), spend(600)]);
    expect(results.sort()).toEqual([false, true]);
    expect(await store.wallet.balance(customerId)).toBe(400);
  });
});

describe.each(eachStore)('[%s] changeCounter', (_name, adapter) => {
  let store: Store;
  let opened: OpenedStore;
  beforeEach(async (ctx) => {
    opened = await openStore(adapter, ctx);
    store = opened.store;
  });

  /** Runs the write and expects the counter to have moved (and to stay put until the next write). */
  async function expectMoves(write: () => Promise<unknown>, counter: () => Promise<number> = () => store.changeCounter()): Promise<void> {
    const before = await counter();
    expect(await counter()).toBe(before);
    await write();
    expect(await counter()).not.toBe(before);
  }

  it('moves after every kind of write', async () => {
    let stationId = 0;
    await expectMoves(async () => (stationId = (await store.stations.create(aStation())).id));
    await expectMoves(() => store.stations.update(stationId, { name: 'renamed' }));
    await expectMoves(() => store.users.create(aUser()));
    await expectMoves(() => store.stations.delete(stationId));
    await expectMoves(() => store.transaction(async () => void (await store.stations.create(aStation()))));
  });

  it('moves when another store on the same database writes', async () => {
    const other = await opened.another();
    await store.stations.list();
    await expectMoves(() => other.stations.create(aStation()));
    expect(await store.stations.list()).toHaveLength(1);
    // And the other way round.
    await expectMoves(() => store.stations.create(aStation()), () => other.changeCounter());
  });
});

describe.each(eachStore)('[%s] store life cycle', (_name, adapter) => {
  it('pings until closed; close() is idempotent', async (ctx) => {
    const { store } = await openStore(adapter, ctx);
    expect(await store.ping()).toBe(true);
    expect(store.kind).toBe(adapter.name);
    await store.close();
    expect(await store.ping()).toBe(false);
    await expect(store.close()).resolves.toBeUndefined();
  });
});
