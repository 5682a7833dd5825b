import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/csms/domain/ports.ts';
import { aLogEntry } from '../builders.ts';
import { eachStore, openStore, type OpenedStore } from '../../helpers/stores.ts';

describe.each(eachStore)('[%s] message log', (_name, adapter) => {
  let store: Store;
  let opened: OpenedStore;
  beforeEach(async (ctx) => {
    opened = await openStore(adapter, ctx);
    store = opened.store;
  });

  const countFor = async (cp: string) => (await store.messages.list(cp, { limit: 1000 })).length;

  it('round-trips entries with JSON payloads, newest first', async () => {
    await store.messages.insertMany([
      aLogEntry({ messageId: 'a', payload: { chargePointVendor: 'V', list: [1, 2] } }),
      aLogEntry({ messageId: 'b', direction: 'out', messageType: 3, action: null, payload: { currentTime: 't' }, latencyMs: 4.5 }),
      aLogEntry({ chargePointId: 'CP-2', messageId: 'c' }),
    ]);
    const list = await store.messages.list('CP-1');
    expect(list.map((e) => e.messageId)).toEqual(['b', 'a']);
    expect(list[0]).toMatchObject({ direction: 'out', messageType: 3, action: null, payload: { currentTime: 't' }, latencyMs: 4.5 });
    expect(list[1].payload).toEqual({ chargePointVendor: 'V', list: [1, 2] });
  });

  it('pages with limit and the afterId cursor', async () => {
    await store.messages.insertMany(Array.from({ length: 5 }, (_, i) => aLogEntry({ messageId: `m${i}` })));
    const newest = await store.messages.list('CP-1', { limit: 2 });
    expect(newest.map((e) => e.messageId)).toEqual(['m4', 'm3']);
    const all = await store.messages.list('CP-1');
    expect((await store.messages.list('CP-1', { afterId: all[2].id })).map((e) => e.messageId)).toEqual(['m4', 'm3']);
    expect(await store.messages.list('CP-1', { afterId: all[0].id })).toEqual([]);
  });

  it('prunes to the newest N per charge point, and again after more inserts', async () => {
    await store.messages.insertMany(Array.from({ length: 10 }, (_, i) => aLogEntry({ messageId: `a${i}` })));
    await store.messages.insertMany(Array.from({ length: 3 }, (_, i) => aLogEntry({ chargePointId: 'CP-2', messageId: `b${i}` })));
    expect(await store.messages.prune(4)).toBe(6);
    expect((await store.messages.list('CP-1')).map((e) => e.messageId)).toEqual(['a9', 'a8', 'a7', 'a6']);
    expect(await countFor('CP-2')).toBe(3);
    expect(await store.messages.prune(4)).toBe(0);

    await store.messages.insertMany(Array.from({ length: 3 }, (_, i) => aLogEntry({ messageId: `c${i}` })));
    await store.messages.insertMany(Array.from({ length: 2 }, (_, i) => aLogEntry({ chargePointId: 'CP-2', messageId: `d${i}` })));
    expect(await store.messages.prune(4)).toBe(4);
    expect((await store.messages.list('CP-1')).map((e) => e.messageId)).toEqual(['c2', 'c1', 'c0', 'a9']);
    expect((await store.messages.list('CP-2')).map((e) => e.messageId)).toEqual(['d1', 'd0', 'b2', 'b1']);
    expect(await store.messages.prune(0)).toBe(8);
    expect((await countFor('CP-1')) + (await countFor('CP-2'))).toBe(0);
  });

  it('cuts a charge point back only once it is 10% over, and at most 50 charge points per call', async () => {
    await store.messages.insertMany(Array.from({ length: 10 }, () => aLogEntry()));
    expect(await store.messages.prune(10)).toBe(0);
    await store.messages.insertMany([aLogEntry()]);
    expect(await store.messages.prune(10)).toBe(1);
    await store.messages.insertMany(Array.from({ length: 60 }, (_, i) => [aLogEntry({ chargePointId: `M-${i}` }), aLogEntry({ chargePointId: `M-${i}` })]).flat());
    expect(await store.messages.prune(1)).toBe(9 + 49); // CP-1 down to one row, then 49 more charge points
    expect(await store.messages.prune(1)).toBe(11);
  });

  it('prunes rows written by another store on the first pass', async () => {
    await store.messages.insertMany(Array.from({ length: 5 }, () => aLogEntry()));
    const other = await opened.another();
    await other.messages.insertMany([aLogEntry({ chargePointId: 'CP-9' }), aLogEntry({ chargePointId: 'CP-9' })]);
    expect(await store.messages.prune(1)).toBe(5);
    expect(await countFor('CP-9')).toBe(1);
  });
});
