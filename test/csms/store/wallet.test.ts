import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqliteStore } from '../../../src/csms/store/index.ts';
import { aChargePoint, aNewSession, aUser } from '../builders.ts';
import { memoryStore } from './fixtures.ts';

describe('wallet', () => {
  let store: SqliteStore;
  let customerId: number;
  let sessionId: number;
  beforeEach(() => {
    ({ store } = memoryStore());
    customerId = store.users.create(aUser()).id;
    store.chargePoints.create(aChargePoint({ id: 'CP-1' }));
    sessionId = store.sessions.start(aNewSession({ customerId })).session.id;
  });
  afterEach(() => store.close());

  const at = '2024-05-01T12:00:00.000Z';

  it('keeps the balance as the sum of integer entries', () => {
    expect(store.wallet.balance(customerId)).toBe(0);
    store.wallet.add({ customerId, amountMinor: 1000, kind: 'topup', createdAt: at });
    store.wallet.add({ customerId, amountMinor: -25, kind: 'adjustment', note: 'goodwill reversed', createdAt: at });
    const charge = store.wallet.add({ customerId, amountMinor: -333, kind: 'charge', sessionId, createdAt: at });
    expect(charge).toEqual({ id: expect.any(Number), customerId, amountMinor: -333, kind: 'charge', sessionId, note: null, externalId: null, actor: null, createdAt: at });
    expect(store.wallet.balance(customerId)).toBe(642);
  });

  it('debits a session exactly once', () => {
    store.wallet.add({ customerId, amountMinor: 1000, kind: 'topup', createdAt: at });
    expect(store.wallet.add({ customerId, amountMinor: -300, kind: 'charge', sessionId, createdAt: at })).not.toBeNull();
    expect(store.wallet.add({ customerId, amountMinor: -300, kind: 'charge', sessionId, createdAt: at })).toBeNull();
    expect(store.wallet.balance(customerId)).toBe(700);
    // Other kinds may refer to the same session (e.g. a refund adjustment).
    expect(store.wallet.add({ customerId, amountMinor: 300, kind: 'adjustment', sessionId, createdAt: at })).not.toBeNull();
    expect(store.wallet.balance(customerId)).toBe(1000);
  });

  it('rejects fractional amounts and wrong signs', () => {
    const bad = expect.objectContaining({ code: 'CSMS_ERR_BAD_AMOUNT' });
    expect(() => store.wallet.add({ customerId, amountMinor: 10.5, kind: 'topup', createdAt: at })).toThrow(bad);
    expect(() => store.wallet.add({ customerId, amountMinor: -10, kind: 'topup', createdAt: at })).toThrow(bad);
    expect(() => store.wallet.add({ customerId, amountMinor: 10, kind: 'charge', sessionId, createdAt: at })).toThrow(bad);
    expect(() => store.wallet.add({ customerId: 999, amountMinor: 10, kind: 'topup', createdAt: at })).toThrow(
      expect.objectContaining({ code: 'CSMS_ERR_NOT_FOUND' }),
    );
    expect(store.wallet.balance(customerId)).toBe(0);
  });

  it('lists newest first with paging', () => {
    for (const amountMinor of [100, 200, 300]) store.wallet.add({ customerId, amountMinor, kind: 'topup', createdAt: at });
    expect(store.wallet.list(customerId).map((e) => e.amountMinor)).toEqual([300, 200, 100]);
    expect(store.wallet.list(customerId, { limit: 1, offset: 1 }).map((e) => e.amountMinor)).toEqual([200]);
    expect(store.wallet.list(customerId + 1)).toEqual([]);
  });
});
