import pino from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createRebalancer, preferredOwner } from '../../../../src/csms/broker/rabbitmq/rebalance.ts';
import { createSqliteStore } from '../../../../src/csms/store/index.ts';

const SHARDS = Array.from({ length: 16 }, (_, k) => k);

describe('shard rebalancing', () => {
  it('gives every shard one preferred node, the same whatever order the nodes are listed in', () => {
    const nodes = ['n1', 'n2', 'n3'];
    const owners = SHARDS.map((k) => preferredOwner(k, nodes));
    expect(SHARDS.map((k) => preferredOwner(k, [...nodes].reverse()))).toEqual(owners);
    // Every node gets some shards (16 shards over 3 nodes).
    for (const n of nodes) expect(owners.filter((o) => o === n).length).toBeGreaterThan(0);
    expect(preferredOwner(0, [])).toBeUndefined();
    expect(preferredOwner(5, ['only'])).toBe('only');
  });

  it('moves only the shards of a node that joins or leaves', () => {
    const before = SHARDS.map((k) => preferredOwner(k, ['n1', 'n2', 'n3']));
    const joined = SHARDS.map((k) => preferredOwner(k, ['n1', 'n2', 'n3', 'n4']));
    for (const k of SHARDS) if (joined[k] !== before[k]) expect(joined[k]).toBe('n4');
    expect(joined.filter((o) => o === 'n4').length).toBeGreaterThan(0);
    const left = SHARDS.map((k) => preferredOwner(k, ['n1', 'n3']));
    for (const k of SHARDS) if (before[k] !== 'n2') expect(left[k]).toBe(before[k]);
  });

  describe('releases', () => {
    const store = createSqliteStore(':memory:');
    afterEach(async () => {
      for (const n of ['me', 'other', 'late']) await store.nodes.leave(n);
    });
    afterAll(async () => await store.close());

    /** A rebalancer for node `me`, active on `active`; records the shards it releases. */
    function rebalancer(active: number[], opts: { joinGraceMs?: number } = {}) {
      const released: number[] = [];
      const r = createRebalancer({
        nodeId: 'me',
        nodes: store.nodes,
        consumer: { activeShards: () => active, release: async (k) => (released.push(k), true) },
        logger: pino({ level: 'silent' }),
        intervalMs: 0,
        goneAfterMs: 10_000,
        holdMs: 60_000,
        joinGraceMs: opts.joinGraceMs ?? 0,
      });
      return { r, released };
    }

    it('hands over the active shards another live node is preferred for, once per hold', async () => {
      await store.nodes.alive('me', 't', Date.now());
      await store.nodes.alive('other', 't', Date.now());
      const { r, released } = rebalancer(SHARDS);
      await r.check();
      expect(released).toEqual(SHARDS.filter((k) => preferredOwner(k, ['me', 'other']) === 'other'));
      expect(released.length).toBeGreaterThan(0);
      // Still active on them (say the other node did not take them): not again before the hold is over.
      await r.check();
      expect(released).toEqual(SHARDS.filter((k) => preferredOwner(k, ['me', 'other']) === 'other'));
    });

    it('may hand a shard over again once the node it went to is gone (it came back by fail-over)', async () => {
      await store.nodes.alive('me', 't', Date.now());
      await store.nodes.alive('other', 't', Date.now());
      const { r, released } = rebalancer(SHARDS);
      await r.check();
      const theirs = SHARDS.filter((k) => preferredOwner(k, ['me', 'other']) === 'other');
      expect(released).toEqual(theirs);
      // The other node restarts: gone for a check, then back.
      await store.nodes.leave('other');
      await r.check();
      expect(released).toEqual(theirs);
      await store.nodes.alive('other', 't', Date.now());
      await r.check();
      expect(released).toEqual([...theirs, ...theirs]);
    });

    it('keeps its shards while alone, and does not hand them to a node that is gone or just appeared', async () => {
      await store.nodes.alive('me', 't', Date.now());
      await store.nodes.alive('other', 't', Date.now() - 20_000);
      const { r, released } = rebalancer(SHARDS, { joinGraceMs: 60_000 });
      await r.check();
      expect(released).toEqual([]);
      await store.nodes.alive('late', 't', Date.now());
      await r.check();
      expect(released).toEqual([]);
    });
  });
});
