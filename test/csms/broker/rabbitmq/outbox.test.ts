import { afterEach, expect, it } from 'vitest';
import { eventRoutingKey, topology } from '../../../../src/csms/broker/rabbitmq/topology.ts';
import { createSqliteStore } from '../../../../src/csms/store/index.ts';
import { aRabbitBroker, closeTestBrokers, deleteNamespace, describeRabbit, RABBIT_URL, uniqueNamespace } from '../../../helpers/rabbit.ts';
import { anEvent, depth, until } from './fixtures.ts';

const CLOSED_PORT = 'amqp://guest:guest@127.0.0.1:1';

describeRabbit('rabbitmq broker: the outbox while the broker is away', () => {
  let ns = '';
  afterEach(async () => {
    await closeTestBrokers();
    if (ns) await deleteNamespace(RABBIT_URL, ns);
    ns = '';
  });

  it('keeps accepting events into the SQLite outbox while unreachable, then relays them in order', async () => {
    ns = uniqueNamespace();
    const store = createSqliteStore(':memory:');
    try {
      const down = aRabbitBroker(ns, { url: CLOSED_PORT, nodeId: 'node-1', store });
      await down.start();
      const events = Array.from({ length: 300 }, (_, i) => anEvent({ chargePointId: `CP-${i % 7}` }));
      for (const e of events) expect(() => down.publishEvent(e)).not.toThrow();
      down.publishAudit('command.sent.Reset', { chargePointId: 'CP-1' });
      expect(down.pressure()).toBeNull();
      await until(async () => await store.outbox.count('node-1') === 301, 30_000, 'the outbox rows');
      expect(down.health()).toEqual({ ok: false, detail: 'degraded: broker unreachable, 301 in outbox' });
      expect(down.backlog()).toBe(301);
      expect(down.stats().connected).toBe(false);
      await down.close();
      // Another node's rows are not ours to relay while it is alive.
      await store.nodes.alive('node-2', new Date().toISOString(), Date.now() + 60_000);
      await store.outbox.add('node-2', [{ exchange: topology(ns).exchanges.ocpp, routingKey: 'ocpp.invalid', body: '{}' }], new Date().toISOString());

      const up = aRabbitBroker(ns, { nodeId: 'node-1', store });
      const got: string[] = [];
      up.consumeEvents(async (batch) => {
        got.push(...batch.map((d) => d.body.eventId));
        return { failed: [] };
      });
      await up.start();
      // New events wait behind the relayed ones.
      const later = anEvent();
      up.publishEvent(later);
      await until(() => got.length === 301, 30_000, 'the relayed events');
      // In order per charger (each charger's shard queue is consumed in order; the shards interleave).
      const all = [...events, later];
      const charger = new Map(all.map((e) => [e.eventId, e.chargePointId]));
      const perCharger = (ids: string[]) => {
        const out: Record<string, string[]> = {};
        for (const id of ids) (out[charger.get(id)!] ??= []).push(id);
        return out;
      };
      expect(perCharger(got)).toEqual(perCharger(all.map((e) => e.eventId)));
      // A relayed row is removed once its whole batch is confirmed, which may come after the consumer got it.
      await until(async () => await store.outbox.count('node-1') === 0, 10_000, 'the relayed rows removed');
      expect(await store.outbox.count('node-2')).toBe(1);
      expect(up.health()).toEqual({ ok: true, detail: 'rabbitmq' });
      await until(async () => (await depth(topology(ns).queues.audit)) === 1, 30_000, 'the audit entry');
    } finally {
      await closeTestBrokers();
      await store.close();
    }
  });

  it('relays the rows of the node it replaces (another node id) and of nodes that went silent', async () => {
    ns = uniqueNamespace();
    const store = createSqliteStore(':memory:');
    try {
      // A process that stopped cleanly while the broker was away: its rows are anyone's at once.
      const before = aRabbitBroker(ns, { url: CLOSED_PORT, nodeId: 'host-111-aaaa', store });
      await before.start();
      const parked = Array.from({ length: 50 }, () => anEvent());
      await Promise.all(parked.map((e) => before.publishEvent(e)));
      await before.close();
      expect(await store.outbox.count('host-111-aaaa')).toBe(50);
      // A node that crashed: it stopped saying it is alive a minute ago.
      const crashed = anEvent();
      await store.nodes.alive('host-222-bbbb', new Date().toISOString(), Date.now() - 60_000);
      await store.outbox.add('host-222-bbbb', [{ exchange: topology(ns).exchanges.ocpp, routingKey: eventRoutingKey(crashed), body: JSON.stringify(crashed) }], new Date().toISOString());

      const after = aRabbitBroker(ns, { nodeId: 'host-333-cccc', store, goneAfterMs: 5000 });
      const got: string[] = [];
      after.consumeEvents(async (batch) => {
        got.push(...batch.map((d) => d.body.eventId));
        return { failed: [] };
      });
      await after.start();
      await until(() => got.length === 51, 30_000, 'the adopted rows');
      expect(new Set(got)).toEqual(new Set([...parked, crashed].map((e) => e.eventId)));
      // A row goes once the broker confirmed it, which can come a moment after a consumer got it.
      await until(async () => await store.outbox.count() === 0, 30_000, 'the relayed rows deleted');
      expect(after.stats().publish.adopted).toBe(51);
    } finally {
      await closeTestBrokers();
      await store.close();
    }
  });

  it('leaves a live node its rows even when its injected clock is frozen in the past (liveness is on the wall clock)', async () => {
    ns = uniqueNamespace();
    const store = createSqliteStore(':memory:');
    try {
      const frozen = { now: () => new Date('2000-01-01T00:00:00Z') };
      const stuck = aRabbitBroker(ns, { url: CLOSED_PORT, nodeId: 'node-frozen', store, clock: frozen });
      await stuck.start();
      for (let i = 0; i < 20; i++) stuck.publishEvent(anEvent());
      await until(async () => await store.outbox.count('node-frozen') === 20, 30_000, 'the outbox rows');

      // start() has taken over the rows of every node it found gone before it resolves.
      const other = aRabbitBroker(ns, { nodeId: 'node-other', store, goneAfterMs: 5000 });
      await other.start();
      expect(other.stats().publish.adopted).toBe(0);
      expect(await store.outbox.count('node-frozen')).toBe(20);
    } finally {
      await closeTestBrokers();
      await store.close();
    }
  });

  it('refuses a malformed URL at start, with a clear message', async () => {
    ns = '';
    const broker = aRabbitBroker('unused', { url: 'http://127.0.0.1:5672' });
    await expect(broker.start()).rejects.toThrow(/RABBITMQ_URL must start with amqp:\/\/ or amqps:\/\//);
    const other = aRabbitBroker('unused', { url: 'not a url' });
    await expect(other.start()).rejects.toThrow(/RABBITMQ_URL is not a valid URL/);
  });
});
