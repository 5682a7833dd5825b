import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/csms/domain/ports.ts';
import { eachStore, openStore, type OpenedStore } from '../../helpers/stores.ts';

describe.each(eachStore)('[%s] node liveness', (_name, adapter) => {
  let store: Store;
  let opened: OpenedStore;
  beforeEach(async (ctx) => {
    opened = await openStore(adapter, ctx);
    store = opened.store;
  });

  it('lists the nodes alive since a time, sorted, without those that left', async () => {
    expect(await store.nodes.live(0)).toEqual([]);
    await store.nodes.alive('node-b', 't', 5000);
    await store.nodes.alive('node-a', 't', 4000);
    await store.nodes.alive('Node-C', 't', 1000);
    expect(await store.nodes.live(4000)).toEqual(['node-a', 'node-b']);
    expect(await store.nodes.live(1000)).toEqual(['Node-C', 'node-a', 'node-b']);
    expect(await store.nodes.live(5001)).toEqual([]);
    // A heartbeat moves a node forward; one that left is not live whatever the bound.
    await store.nodes.alive('Node-C', 't', 6000);
    expect(await store.nodes.live(5000)).toEqual(['Node-C', 'node-b']);
    await store.nodes.leave('node-b');
    expect(await store.nodes.live(0)).toEqual(['Node-C', 'node-a']);
  });

  it('sees the heartbeats another connection writes', async () => {
    const other = await opened.another();
    await other.nodes.alive('elsewhere', 't', 9000);
    expect(await store.nodes.live(8000)).toEqual(['elsewhere']);
  });
});
