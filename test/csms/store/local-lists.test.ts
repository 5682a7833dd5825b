import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/csms/domain/ports.ts';
import type { LocalListState } from '../../../src/csms/domain/types.ts';
import { aChargePoint, aUser } from '../builders.ts';
import { eachStore, openStore } from '../../helpers/stores.ts';

describe.each(eachStore)('[%s] local authorization lists', (_name, adapter) => {
  let store: Store;
  beforeEach(async (ctx) => ({ store } = await openStore(adapter, ctx)));

  it('keeps per charger the version it confirmed and its entries; a save replaces; deleted with the charger', async () => {
    const cp = await store.chargePoints.create(aChargePoint());
    expect(await store.localLists.get(cp.id)).toBeNull();
    const state: LocalListState = {
      chargePointId: cp.id, version: 3, reportedVersion: null, status: 'synced', detail: null, omitted: 0, updatedAt: '2024-05-01T12:00:00.000Z',
      entries: [{ idTag: 'A', status: 'Accepted', expiryDate: null }, { idTag: 'B', status: 'Accepted', expiryDate: '2030-01-01T00:00:00.000Z' }],
    };
    await store.localLists.save(state);
    expect(await store.localLists.get(cp.id)).toEqual(state);
    const failed: LocalListState = { ...state, entries: [], reportedVersion: 2, status: 'failed', detail: 'VersionMismatch', omitted: 4, updatedAt: '2024-05-01T12:01:00.000Z' };
    await store.localLists.save(failed);
    expect(await store.localLists.get(cp.id)).toEqual(failed);
    await store.chargePoints.delete(cp.id);
    expect(await store.localLists.get(cp.id)).toBeNull();
  });

  it('wants every card that is not blocked nor expired, of customers who are not blocked, Accepted with its expiry, by idTag', async () => {
    const a = await store.users.create(aUser({ idTag: 'ZED' }));
    await store.idTags.create({ idTag: 'abc', customerId: a.id, expiresAt: '2030-01-01T00:00:00.000Z' });
    await store.idTags.create({ idTag: 'OLD', customerId: a.id, expiresAt: '2020-01-01T00:00:00.000Z' });
    await store.idTags.create({ idTag: 'LOST', customerId: a.id, blocked: true });
    const b = await store.users.create(aUser({ idTag: 'BANNED' }));
    await store.users.update(b.id, { blocked: true });
    await store.users.create(aUser({ idTag: null }));
    expect(await store.localLists.wanted('2024-05-01T12:00:00.000Z')).toEqual([
      { idTag: 'ZED', status: 'Accepted', expiryDate: null },
      { idTag: 'abc', status: 'Accepted', expiryDate: '2030-01-01T00:00:00.000Z' },
    ]);
  });
});
